/* Benchmark (not a test): FURLs per second for
 *   (a) furlhint_furl_parse() + Foolscap's three handler views of each hint
 *       (the work bench/foolscap_parse.py does with Foolscap itself), and
 *   (b) furlhint_furl_parse() + furlhint_context_rank() with the four
 *       bundled plugins loaded under a config with Tor and I2P;
 *   (c) the part of (b) no ranking can skip: furlhint_furl_parse(), then
 *       each hint parsed by the plugin that owns its type
 *       (furlhint_plugin_parse(): the plugin's Foolscap-exact check and
 *       the core's check of the target), no policy and no plan;
 *   (d) (c) plus the description of each route (furlhint_plugin_describe()),
 *       which every plan entry carries (FurlHintPlanEntry.description).
 *
 * The FURLs are generated deterministically (fixed seed) and written to a
 * file so that the Python side parses exactly the same text.
 *
 * Usage: bench-parse [-n N] [-r REPEAT] [-o FURLS_FILE]
 * Prints "key value" lines; bench/run-parse.sh makes the table.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <furlhint/furlhint.h>

#define BENCH_SEED 0x46484c54u   /* "FHLT": same FURLs on every run */

static const gchar base32_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

static void
append_base32 (GString *s,
               GRand *rand,
               guint n)
{
  for (guint i = 0; i < n; i++)
    g_string_append_c (s, base32_alphabet[g_rand_int_range (rand, 0, 32)]);
}

/* One hint of a random kind, weighted roughly as in the wild: mostly DNS
 * and legacy TCP hints, some addresses, some Tor and I2P. */
static void
append_hint (GString *s,
             GRand *rand)
{
  guint port = (guint) g_rand_int_range (rand, 1024, 65536);
  gint kind = g_rand_int_range (rand, 0, 100);

  if (kind < 30)          /* tcp: DNS name */
    g_string_append_printf (s, "tcp:node%u.example.org:%u",
                            (guint) g_rand_int_range (rand, 0, 100000), port);
  else if (kind < 45)     /* legacy HOST:PORT */
    g_string_append_printf (s, "storage%u.example.net:%u",
                            (guint) g_rand_int_range (rand, 0, 100000), port);
  else if (kind < 60)     /* IPv4 */
    g_string_append_printf (s, "tcp:%u.%u.%u.%u:%u",
                            (guint) g_rand_int_range (rand, 1, 224),
                            (guint) g_rand_int_range (rand, 0, 256),
                            (guint) g_rand_int_range (rand, 0, 256),
                            (guint) g_rand_int_range (rand, 1, 255), port);
  else if (kind < 70)     /* IPv6 */
    g_string_append_printf (s, "tcp:[2001:db8:%x::%x]:%u",
                            (guint) g_rand_int_range (rand, 0, 0x10000),
                            (guint) g_rand_int_range (rand, 1, 0x10000), port);
  else if (kind < 85)     /* Tor onion service (v3) */
    {
      g_string_append (s, "tor:");
      append_base32 (s, rand, 56);
      g_string_append_printf (s, ".onion:%u", port);
    }
  else                    /* I2P b32, with or without a port */
    {
      g_string_append (s, "i2p:");
      append_base32 (s, rand, 52);
      g_string_append (s, ".b32.i2p");
      if (g_rand_boolean (rand))
        g_string_append_printf (s, ":%u", port);
    }
}

static GPtrArray *
generate_furls (guint n,
                guint *n_hints)
{
  GPtrArray *furls = g_ptr_array_new_full (n, g_free);
  GRand *rand = g_rand_new_with_seed (BENCH_SEED);

  *n_hints = 0;
  for (guint i = 0; i < n; i++)
    {
      GString *s = g_string_new ("pb://");
      guint hints = (guint) g_rand_int_range (rand, 1, 5);

      append_base32 (s, rand, 32);
      g_string_append_c (s, '@');
      for (guint h = 0; h < hints; h++)
        {
          if (h > 0)
            g_string_append_c (s, ',');
          append_hint (s, rand);
        }
      g_string_append_c (s, '/');
      append_base32 (s, rand, 32);
      g_ptr_array_add (furls, g_string_free (s, FALSE));
      *n_hints += hints;
    }
  g_rand_free (rand);
  return furls;
}

/* (a): what Foolscap does for a FURL: decode it, convert legacy hints,
 * and ask each of the three handlers what the hint means. */
static guint
run_parse (GPtrArray *furls)
{
  guint accepted = 0;

  for (guint i = 0; i < furls->len; i++)
    {
      FurlHintFurl *furl = furlhint_furl_parse (g_ptr_array_index (furls, i), NULL);

      if (furl == NULL)
        continue;
      for (guint h = 0; h < furlhint_furl_get_n_hints (furl); h++)
        {
          const gchar *canonical = furlhint_hint_get_canonical (furlhint_furl_get_hint (furl, h));

          /* Host and port, as the Python views return them; no message:
           * they return None on failure and build no InvalidHintError. */
          for (guint handler = 0; handler < 3; handler++)
            {
              gchar *host = NULL;
              gchar *port = NULL;

              if (furlhint_foolscap_parse_hint (canonical, (FurlHintFoolscapHandler) handler,
                                                &host, &port, NULL))
                accepted++;
              g_free (host);
              g_free (port);
            }
        }
      furlhint_furl_unref (furl);
    }
  return accepted;
}

/* (b): parse and rank, the work a node does before connecting. */
static guint
run_rank (FurlHintContext *ctx,
          GPtrArray *furls)
{
  guint routes = 0;

  for (guint i = 0; i < furls->len; i++)
    {
      FurlHintFurl *furl = furlhint_furl_parse (g_ptr_array_index (furls, i), NULL);
      FurlHintPlan *plan;

      if (furl == NULL)
        continue;
      plan = furlhint_context_rank (ctx, furl, NULL);
      routes += furlhint_plan_get_n_routes (plan);
      furlhint_plan_unref (plan);
      furlhint_furl_unref (furl);
    }
  return routes;
}

/* (c) and (d): each hint to the plugin that owns its type. */
static guint
run_owner_parse (FurlHintContext *ctx,
                 GPtrArray *furls,
                 gboolean describe)
{
  guint parsed = 0;

  for (guint i = 0; i < furls->len; i++)
    {
      FurlHintFurl *furl = furlhint_furl_parse (g_ptr_array_index (furls, i), NULL);

      if (furl == NULL)
        continue;
      for (guint h = 0; h < furlhint_furl_get_n_hints (furl); h++)
        {
          const FurlHintHint *hint = furlhint_furl_get_hint (furl, h);
          FurlHintPlugin *plugin =
            furlhint_context_find_plugin_for_prefix (ctx, furlhint_hint_get_hint_type (hint));
          FurlHintTarget target = { NULL, };

          if (plugin == NULL)
            continue;
          if (furlhint_plugin_parse (plugin, furlhint_hint_get_canonical (hint),
                                     FURLHINT_PARSE_NATIVE, &target, NULL))
            {
              parsed++;
              if (describe)
                g_free (furlhint_plugin_describe (plugin, &target));
            }
          furlhint_target_clear (&target);
        }
      furlhint_furl_unref (furl);
    }
  return parsed;
}

static gdouble
best_rate (guint n,
           guint repeat,
           guint (*func) (gpointer, GPtrArray *),
           gpointer data,
           GPtrArray *furls,
           guint *result)
{
  gdouble best = 0;

  for (guint r = 0; r < repeat; r++)
    {
      gint64 start = g_get_monotonic_time ();
      gint64 elapsed;
      gdouble rate;

      *result = func (data, furls);
      elapsed = MAX (g_get_monotonic_time () - start, 1);
      rate = n / (elapsed / (gdouble) G_USEC_PER_SEC);
      best = MAX (best, rate);
    }
  return best;
}

static guint
parse_thunk (gpointer data,
             GPtrArray *furls)
{
  return run_parse (furls);
}

static guint
rank_thunk (gpointer data,
            GPtrArray *furls)
{
  return run_rank (data, furls);
}

static guint
owner_parse_thunk (gpointer data,
                   GPtrArray *furls)
{
  return run_owner_parse (data, furls, FALSE);
}

static guint
owner_describe_thunk (gpointer data,
                      GPtrArray *furls)
{
  return run_owner_parse (data, furls, TRUE);
}

int
main (int argc,
      char **argv)
{
  gint n = 20000;
  gint repeat = 3;
  gchar *out_path = NULL;
  const GOptionEntry entries[] = {
    { "count", 'n', 0, G_OPTION_ARG_INT, &n, "How many FURLs (default 20000)", "N" },
    { "repeat", 'r', 0, G_OPTION_ARG_INT, &repeat, "Runs; the best counts (default 3)", "R" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &out_path, "Write the FURLs to FILE", "FILE" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) octx = g_option_context_new ("- furlhint parse/rank benchmark");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) furls = NULL;
  FurlHintConfig *config;
  FurlHintContext *ctx;
  guint n_hints;
  guint loaded;
  guint accepted = 0;
  guint routes = 0;
  guint owner_parsed = 0;
  gdouble parse_rate, rank_rate, owner_parse_rate, owner_describe_rate;
  gint64 load_start;
  gdouble load_ms;

  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    {
      fprintf (stderr, "bench-parse: %s\n", error->message);
      return 2;
    }
  if (n < 1 || repeat < 1)
    {
      fprintf (stderr, "bench-parse: --count and --repeat must be at least 1\n");
      return 2;
    }

  furls = generate_furls ((guint) n, &n_hints);
  if (out_path != NULL)
    {
      g_autoptr(GString) text = g_string_new (NULL);

      for (guint i = 0; i < furls->len; i++)
        {
          g_string_append (text, g_ptr_array_index (furls, i));
          g_string_append_c (text, '\n');
        }
      if (!g_file_set_contents (out_path, text->str, text->len, &error))
        {
          fprintf (stderr, "bench-parse: %s\n", error->message);
          g_free (out_path);
          return 3;
        }
    }

  config = furlhint_config_load_data ("[connections]\n"
                                      "tor.socks-proxy = tcp:127.0.0.1:9050\n"
                                      "i2p.sam-api = tcp:127.0.0.1:7656\n",
                                      -1, "bench", &error);
  if (config == NULL)
    {
      fprintf (stderr, "bench-parse: %s\n", error->message);
      g_free (out_path);
      return 1;
    }
  ctx = furlhint_context_new (config);
  load_start = g_get_monotonic_time ();
  loaded = furlhint_context_load_plugins (ctx);
  load_ms = (g_get_monotonic_time () - load_start) / 1000.0;
  if (loaded < 4)
    fprintf (stderr, "bench-parse: warning: only %u plugins loaded (set FURLHINT_PLUGIN_DIR)\n",
             loaded);

  parse_rate = best_rate ((guint) n, (guint) repeat, parse_thunk, NULL, furls, &accepted);
  rank_rate = best_rate ((guint) n, (guint) repeat, rank_thunk, ctx, furls, &routes);
  owner_parse_rate = best_rate ((guint) n, (guint) repeat, owner_parse_thunk, ctx, furls,
                                &owner_parsed);
  owner_describe_rate = best_rate ((guint) n, (guint) repeat, owner_describe_thunk, ctx, furls,
                                   &owner_parsed);

  printf ("furls %d\n", n);
  printf ("hints %u\n", n_hints);
  printf ("repeat %d\n", repeat);
  printf ("plugins %u\n", loaded);
  printf ("plugin-load-ms %.2f\n", load_ms);
  printf ("accepted %u\n", accepted);
  printf ("routes %u\n", routes);
  printf ("furlhint-parse %.1f\n", parse_rate);
  printf ("furlhint-rank %.1f\n", rank_rate);
  printf ("owner-parsed %u\n", owner_parsed);
  printf ("furlhint-owner-parse %.1f\n", owner_parse_rate);
  printf ("furlhint-owner-describe %.1f\n", owner_describe_rate);

  furlhint_context_unref (ctx);
  furlhint_config_unref (config);
  g_free (out_path);
  return 0;
}
