/* furlhint — the plan: what ranking decided for each hint of one FURL.
 *
 * furlhint_plan_add_route() is the last line of defence of the anonymity
 * policy: whatever ranker built the plan (ours or a caller's), an
 * anonymous plan never gets a clear or proxied route, nor one that would
 * look a name up in local DNS.
 *
 * A plan's life: new (a ranker adds entries), finished (ordered, delays
 * and descriptions set; an entry added after that makes it unfinished
 * again, until it is finished again), in use (a connector has been
 * handed it: fh_plan_set_in_use(), for good). A plan in use never
 * changes again: connects to one FURL share one (core/connect.c,
 * rank_for_connect()), and each of them reads it while it runs, so the
 * three mutators refuse it as a programmer error, the way the other
 * preconditions here are checked.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define _GNU_SOURCE 1  /* inet_aton() */
#include "config.h"

#include <furlhint/furlhint.h>

#include "context-private.h"
#include "errors-private.h"
#include "foolscap-hint.h"
#include "hostname.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* The public entry comes first so that a pointer to an item is a pointer
 * to its entry; @seq (insertion order) makes the sort stable whatever
 * qsort() does with equal keys. */
typedef struct {
  FurlHintPlanEntry entry;
  guint seq;
  gchar *route_text;        /* (owned) (nullable) a route's describe() text */
  gsize route_len;          /* its length */
} PlanItem;

struct _FurlHintPlan {
  grefcount ref;
  FurlHintFurl *furl;       /* (owned) keeps every entry's hint alive */
  gboolean anonymous;
  /* The entries in plan order: n_items of them, room for items_alloc;
   * the array follows the inline items in the plan's own allocation
   * until it has to grow. */
  PlanItem **items;
  guint n_items;
  guint items_alloc;
  guint n_routes;
  guint next_seq;
  gboolean finished;
  guint finished_stagger_ms;  /* the stagger it was finished with */
  /* A connector has been handed it (fh_plan_set_in_use()): nothing adds
   * to it, nothing finishes it again, from then on. Never cleared. */
  gboolean in_use;
  guint version;            /* fh_plan_get_version() */
  /* (owned) (nullable) every route's description, one after the other,
   * made by furlhint_plan_finish(): one allocation per plan, not one per
   * route. A rejection's entry.description points to its entry.reason
   * (or a static ""). No description is freed on its own. */
  gchar *descriptions;
  /* The first @n_inline items live in the plan's own allocation (a plan
   * has an entry per hint, and rarely more); later ones are allocated
   * one by one. */
  guint n_inline;
  guint n_inline_used;
  PlanItem inline_items[];
};

static void
plan_item_clear (PlanItem *item)
{
  furlhint_target_clear (&item->entry.target);
  g_free (item->entry.reason);
  g_free (item->route_text);
}

static gboolean
plan_item_is_inline (const FurlHintPlan *plan,
                     const PlanItem *item)
{
  return item >= plan->inline_items && item < plan->inline_items + plan->n_inline;
}

/* A FURL can hold thousands of hints: beyond this many, the items are
 * allocated one by one rather than all with the plan. */
#define PLAN_INLINE_MAX 64

FurlHintPlan *
furlhint_plan_new (FurlHintFurl *furl,
                   gboolean anonymous)
{
  FurlHintPlan *plan;
  guint n_inline;

  g_return_val_if_fail (furl != NULL, NULL);

  n_inline = MIN (furlhint_furl_get_n_hints (furl), PLAN_INLINE_MAX);
  /* Only the plan's own fields are cleared here: plan_append() clears
   * each inline item as it takes it, and the pointer array is written
   * before it is read. */
  plan = g_malloc (sizeof *plan + n_inline * (sizeof (PlanItem) + sizeof (PlanItem *)));
  memset (plan, 0, sizeof *plan);
  g_ref_count_init (&plan->ref);
  plan->furl = furlhint_furl_ref (furl);
  plan->anonymous = anonymous ? TRUE : FALSE;
  plan->n_inline = n_inline;
  plan->items = (PlanItem **) (plan->inline_items + n_inline);
  plan->items_alloc = n_inline;

  return plan;
}

FurlHintPlan *
furlhint_plan_ref (FurlHintPlan *plan)
{
  g_return_val_if_fail (plan != NULL, NULL);

  g_ref_count_inc (&plan->ref);
  return plan;
}

void
furlhint_plan_unref (FurlHintPlan *plan)
{
  if (plan == NULL)
    return;

  if (g_ref_count_dec (&plan->ref))
    {
      for (guint i = 0; i < plan->n_items; i++)
        {
          PlanItem *item = plan->items[i];

          plan_item_clear (item);
          if (!plan_item_is_inline (plan, item))
            g_free (item);
        }
      if (plan->items != (PlanItem **) (plan->inline_items + plan->n_inline))
        g_free (plan->items);
      g_free (plan->descriptions);
      furlhint_furl_unref (plan->furl);
      g_free (plan);
    }
}

static PlanItem *
plan_append (FurlHintPlan *plan,
             guint hint_index)
{
  PlanItem *item;

  if (plan->n_inline_used < plan->n_inline)
    {
      item = &plan->inline_items[plan->n_inline_used++];
      memset (item, 0, sizeof *item);
    }
  else
    item = g_new0 (PlanItem, 1);

  item->entry.hint_index = hint_index;
  item->entry.hint = furlhint_furl_get_hint (plan->furl, hint_index);
  item->seq = plan->next_seq++;
  if (plan->n_items == plan->items_alloc)
    {
      PlanItem **grown;

      plan->items_alloc = MAX (4, 2 * plan->items_alloc);
      grown = g_new (PlanItem *, plan->items_alloc);
      if (plan->n_items > 0)
        memcpy (grown, plan->items, plan->n_items * sizeof (PlanItem *));
      if (plan->items != (PlanItem **) (plan->inline_items + plan->n_inline))
        g_free (plan->items);
      plan->items = grown;
    }
  plan->items[plan->n_items++] = item;

  /* A plan changed after furlhint_plan_finish() has to be finished again
   * (furlhint_context_rank() does so); until then its order is stale. */
  plan->finished = FALSE;
  plan->version++;

  return item;
}

static void
plan_add_rejection_take (FurlHintPlan *plan,
                         guint hint_index,
                         FurlHintPolicyError code,
                         gchar *reason)
{
  PlanItem *item = plan_append (plan, hint_index);

  item->entry.routed = FALSE;
  item->entry.code = code;
  item->entry.reason = reason;
}

void
furlhint_plan_add_rejection (FurlHintPlan *plan,
                             guint hint_index,
                             FurlHintPolicyError code,
                             const gchar *format,
                             ...)
{
  va_list args;
  gchar *reason;

  g_return_if_fail (plan != NULL);
  g_return_if_fail (!plan->in_use);
  g_return_if_fail (hint_index < furlhint_furl_get_n_hints (plan->furl));
  g_return_if_fail (format != NULL);

  va_start (args, format);
  reason = g_strdup_vprintf (format, args);
  va_end (args);

  plan_add_rejection_take (plan, hint_index, code, reason);
}

/* A clear route resolves names itself: anything but an address literal
 * means a lookup in local DNS, which tells the resolver (and whoever
 * watches it) whom we are about to contact. Proxied and anonymous routes
 * hand the name to the far side. */
static gboolean
needs_local_dns (FurlHintAnonClass anon_class,
                 FurlHintHostKind host_kind)
{
  if (anon_class != FURLHINT_ANON_CLEAR)
    return FALSE;

  return host_kind != FURLHINT_HOST_IPV4 && host_kind != FURLHINT_HOST_IPV6;
}

/* fh_plan_route_problem() for a target known to be in canonical form
 * (furlhint_plan_add_route() has just made it so). */
static gchar *
route_problem_canonical (gboolean anonymous,
                         FurlHintPlugin *plugin,
                         const FurlHintTarget *target,
                         guint tier,
                         gboolean carried,
                         FurlHintPolicyError *code)
{
  FurlHintAnonClass anon_class = furlhint_plugin_get_anon_class (plugin);
  const gchar *name = furlhint_plugin_get_name (plugin);
  const gchar *host = target->host;
  gchar *problem;

  *code = FURLHINT_POLICY_ERROR_BAD_HINT;
  /* Whatever @carried says: it is the caller's word, and a ranker that
   * says FALSE must not get a non-Tor-able address past this check (no
   * anonymous plugin's own hints name one: .onion, .i2p). */
  problem = fh_carried_target_problem (plugin, target);
  if (problem != NULL)
    return problem;
  if (!anonymous)
    return NULL;

  *code = FURLHINT_POLICY_ERROR_REVEALING;
  /* Two checks on purpose: the class rule already covers the DNS rule
   * today, but they guard different leaks and must not silently depend
   * on each other if classes ever change. */
  if (needs_local_dns (anon_class, target->host_kind))
    return g_strdup_printf ("no route: refused a %s route through '%s' to %s: it would "
                            "look %s up in local DNS, and anonymous mode allows only "
                            "anonymous routes (Tor, I2P)",
                            furlhint_anon_class_name (anon_class), name, host, host);
  if (anon_class != FURLHINT_ANON_ANONYMOUS)
    return g_strdup_printf ("no route: refused a %s route through '%s' to %s: anonymous "
                            "mode allows only anonymous routes (Tor, I2P)",
                            furlhint_anon_class_name (anon_class), name, host);
  /* Public TCP hints through Tor come after every native anonymous route
   * (docs/SECURITY.md, "Order"). */
  if (carried && tier < FURLHINT_TIER_TOR_FALLBACK)
    return g_strdup_printf ("no route: refused a tcp: hint carried through '%s' to %s in "
                            "tier %u: anonymous mode tries such hints only in tier %u "
                            "(FURLHINT_TIER_TOR_FALLBACK) or later, after every native "
                            "anonymous route", name, host, tier, FURLHINT_TIER_TOR_FALLBACK);
  return NULL;
}

gchar *
fh_plan_route_problem (gboolean anonymous,
                       FurlHintPlugin *plugin,
                       const FurlHintTarget *target,
                       guint tier,
                       gboolean carried,
                       FurlHintPolicyError *code)
{
  *code = FURLHINT_POLICY_ERROR_BAD_HINT;
  if (!fh_hostname_is_canonical (target->host))
    return g_strdup_printf ("bad hint: refused a route through '%s' to '%s': not a "
                            "canonical host name (a final dot, an empty label, or a "
                            ".onion/.i2p name not in lower case); targets carry the "
                            "form furlhint_plugin_parse() gives",
                            furlhint_plugin_get_name (plugin), target->host);
  return route_problem_canonical (anonymous, plugin, target, tier, carried, code);
}

/* Foolscap's test, and the same for an address in a form Python does
 * not read but inet_aton() does (127.1, 0x7f.0.0.1, 2130706433,
 * 0177.0.0.1): a carrier that hands the name to a resolver or to
 * inet_aton() would reach the same loopback or private address. */
static gboolean
is_non_torable (const gchar *host)
{
  struct in_addr in;
  guint32 a;
  gchar dotted[16];

  if (fh_foolscap_is_non_public_numeric (host))
    return TRUE;
  if (inet_aton (host, &in) == 0)
    return FALSE;
  a = g_ntohl (in.s_addr);
  g_snprintf (dotted, sizeof dotted, "%u.%u.%u.%u",
              (a >> 24) & 0xff, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
  return fh_foolscap_is_non_public_numeric (dotted);
}

gchar *
fh_carried_target_problem (FurlHintPlugin *plugin,
                           const FurlHintTarget *target)
{
  if (furlhint_plugin_get_anon_class (plugin) != FURLHINT_ANON_ANONYMOUS ||
      !is_non_torable (target->host))
    return NULL;
  /* Foolscap's tor handler's words, then why it applies to this plugin. */
  return g_strdup_printf ("bad hint: ignoring non-Tor-able ipaddr %s: an anonymous "
                          "carrier ('%s') is never asked for a loopback, private, "
                          "link-local, multicast, reserved or IPv6 address",
                          target->host, furlhint_plugin_get_name (plugin));
}

/* furlhint_plan_add_route() once @target is in canonical form. */
static gboolean
add_canonical_route (FurlHintPlan *plan,
                     guint hint_index,
                     FurlHintPlugin *plugin,
                     FurlHintTarget *target,
                     guint tier,
                     gboolean carried)
{
  FurlHintPolicyError code;
  gchar *problem;
  PlanItem *item;

  problem = route_problem_canonical (plan->anonymous, plugin, target, tier, carried, &code);
  if (problem != NULL)
    {
      plan_add_rejection_take (plan, hint_index, code, problem);
      furlhint_target_clear (target);
      return FALSE;
    }

  item = plan_append (plan, hint_index);
  item->entry.routed = TRUE;
  item->entry.plugin = plugin;
  item->entry.anon_class = furlhint_plugin_get_anon_class (plugin);
  item->entry.tier = tier;
  item->entry.carried = carried ? TRUE : FALSE;
  item->route_text = furlhint_plugin_describe (plugin, target);
  item->route_len = strlen (item->route_text);

  /* Take the strings; the caller's target is left zeroed. */
  item->entry.target = *target;
  memset (target, 0, sizeof *target);

  return TRUE;
}

gboolean
furlhint_plan_add_route (FurlHintPlan *plan,
                         guint hint_index,
                         FurlHintPlugin *plugin,
                         FurlHintTarget *target,
                         guint tier,
                         gboolean carried)
{
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (plan != NULL, FALSE);
  g_return_val_if_fail (!plan->in_use, FALSE);
  g_return_val_if_fail (hint_index < furlhint_furl_get_n_hints (plan->furl), FALSE);
  g_return_val_if_fail (plugin != NULL, FALSE);
  g_return_val_if_fail (target != NULL, FALSE);
  g_return_val_if_fail (target->host != NULL, FALSE);

  /* A caller's own target gets the form furlhint_plugin_parse() gives:
   * the name the route is checked by is the name the plugin is asked
   * for. */
  if (!fh_target_canonicalize (target, NULL, &error))
    {
      plan_add_rejection_take (plan, hint_index, FURLHINT_POLICY_ERROR_BAD_HINT,
                               g_strdup_printf ("bad hint: %s", error->message));
      furlhint_target_clear (target);
      return FALSE;
    }

  return add_canonical_route (plan, hint_index, plugin, target, tier, carried);
}

gboolean
fh_plan_add_parsed_route (FurlHintPlan *plan,
                          guint hint_index,
                          FurlHintPlugin *plugin,
                          FurlHintTarget *target,
                          guint tier,
                          gboolean carried)
{
  g_return_val_if_fail (plan != NULL, FALSE);
  g_return_val_if_fail (!plan->in_use, FALSE);
  g_return_val_if_fail (hint_index < furlhint_furl_get_n_hints (plan->furl), FALSE);
  g_return_val_if_fail (target != NULL && target->host != NULL, FALSE);

  return add_canonical_route (plan, hint_index, plugin, target, tier, carried);
}

static gint
plan_item_compare (gconstpointer a,
                   gconstpointer b)
{
  const PlanItem *x = *(const PlanItem *const *) a;
  const PlanItem *y = *(const PlanItem *const *) b;

  if (x->entry.routed != y->entry.routed)
    return x->entry.routed ? -1 : 1;

  if (x->entry.routed)
    {
      if (x->entry.tier != y->entry.tier)
        return x->entry.tier < y->entry.tier ? -1 : 1;
      /* More anonymous first: within a tier, the route that reveals
       * least gets the head start. */
      if (x->entry.anon_class != y->entry.anon_class)
        return x->entry.anon_class > y->entry.anon_class ? -1 : 1;
    }

  if (x->entry.hint_index != y->entry.hint_index)
    return x->entry.hint_index < y->entry.hint_index ? -1 : 1;
  if (x->seq != y->seq)
    return x->seq < y->seq ? -1 : 1;
  return 0;
}

/* Sorts @n items by plan_item_compare(): by insertion for the few entries
 * of a usual plan, cheaper there than qsort()'s calls through a function
 * pointer. The order is total (seq breaks ties), so both give the same. */
#define PLAN_INSERTION_SORT_MAX 16

static void
sort_items (PlanItem **items,
            guint n)
{
  if (n > PLAN_INSERTION_SORT_MAX)
    {
      qsort (items, n, sizeof (PlanItem *), plan_item_compare);
      return;
    }
  for (guint i = 1; i < n; i++)
    {
      PlanItem *item = items[i];
      guint j = i;

      for (; j > 0 && plan_item_compare (&items[j - 1], &item) > 0; j--)
        items[j] = items[j - 1];
      items[j] = item;
    }
}

/* Appends @value in decimal at @p; returns the end. */
static gchar *
append_uint (gchar *p,
             guint  value)
{
  gchar digits[16];
  gsize n = 0;

  do
    {
      digits[n++] = (gchar) ('0' + value % 10);
      value /= 10;
    }
  while (value != 0);
  while (n > 0)
    *p++ = digits[--n];
  return p;
}

static gchar *
append_str (gchar       *p,
            const gchar *s,
            gsize        len)
{
  memcpy (p, s, len);
  return p + len;
}

/* The longest tail describe_route() appends for @anon_class. */
#define DESCRIBE_TAIL_MAX(class_len) ((class_len) + sizeof " (tier , , starts at + ms)" + 2 * 10)

/* Writes g_strdup_printf ("%s (tier %u, %s, starts at +%u ms)", route
 * text, ...) at @p without printf, which was most of the cost of ranking
 * a FURL; returns the end of what it wrote (its NUL is at the end). */
static gchar *
describe_route (gchar           *p,
                const PlanItem  *item,
                const gchar     *anon_class,
                gsize            class_len)
{
  static const gchar tier_s[] = " (tier ", starts_s[] = ", starts at +", ms_s[] = " ms)";

  p = append_str (p, item->route_text, item->route_len);
  p = append_str (p, tier_s, sizeof tier_s - 1);
  p = append_uint (p, item->entry.tier);
  p = append_str (p, ", ", 2);
  p = append_str (p, anon_class, class_len);
  p = append_str (p, starts_s, sizeof starts_s - 1);
  p = append_uint (p, item->entry.delay_ms);
  p = append_str (p, ms_s, sizeof ms_s - 1);
  *p++ = '\0';
  return p;
}

void
furlhint_plan_finish (FurlHintPlan *plan,
                      guint stagger_ms)
{
  guint i, position = 0, current_tier = 0;
  gsize size = 0;

  g_return_if_fail (plan != NULL);
  /* Even when finishing would change nothing: a connector's plan is not
   * finished again, by anyone (furlhint_context_rank() copies one a
   * ranker hands back rather than finish it). */
  g_return_if_fail (!plan->in_use);

  /* Unchanged since it was finished with this stagger (the default
   * ranker finishes its plan, and furlhint_context_rank() finishes
   * whatever plan a ranker returns): the order, delays and descriptions
   * would come out the same. */
  if (plan->finished && plan->finished_stagger_ms == stagger_ms)
    return;

  /* Usually in order already (the default ranker goes hint by hint):
   * checked in one pass, sorted only when not. */
  for (i = 1; i < plan->n_items; i++)
    if (plan_item_compare (&plan->items[i - 1], &plan->items[i]) > 0)
      {
        sort_items (plan->items, plan->n_items);
        break;
      }

  plan->n_routes = 0;
  for (i = 0; i < plan->n_items; i++)
    {
      PlanItem *item = plan->items[i];
      FurlHintPlanEntry *entry = &item->entry;

      if (entry->routed)
        {
          gsize class_len;

          fh_anon_class_name_len (entry->anon_class, &class_len);
          if (plan->n_routes == 0 || entry->tier != current_tier)
            {
              current_tier = entry->tier;
              position = 0;
            }
          entry->delay_ms = position * stagger_ms;
          position++;
          plan->n_routes++;
          size += item->route_len + DESCRIBE_TAIL_MAX (class_len);
        }
      else
        {
          entry->delay_ms = 0;
          entry->description = entry->reason != NULL ? entry->reason : (gchar *) "";
        }
    }

  /* Then the routes' descriptions, all in one block. */
  g_clear_pointer (&plan->descriptions, g_free);
  if (plan->n_routes > 0)
    {
      gchar *p = plan->descriptions = g_malloc (size);

      for (i = 0; i < plan->n_items; i++)
        {
          PlanItem *item = plan->items[i];
          const gchar *anon_class;
          gsize class_len;

          if (!item->entry.routed)
            continue;
          anon_class = fh_anon_class_name_len (item->entry.anon_class, &class_len);
          item->entry.description = p;
          p = describe_route (p, item, anon_class, class_len);
        }
    }

  plan->finished = TRUE;
  plan->finished_stagger_ms = stagger_ms;
  plan->version++;
}

guint
fh_plan_get_version (const FurlHintPlan *plan)
{
  return plan->version;
}

void
fh_plan_set_in_use (FurlHintPlan *plan)
{
  plan->in_use = TRUE;
}

gboolean
fh_plan_is_in_use (const FurlHintPlan *plan)
{
  return plan->in_use;
}

FurlHintFurl *
furlhint_plan_get_furl (const FurlHintPlan *plan)
{
  g_return_val_if_fail (plan != NULL, NULL);

  return plan->furl;
}

gboolean
furlhint_plan_is_anonymous (const FurlHintPlan *plan)
{
  g_return_val_if_fail (plan != NULL, FALSE);

  return plan->anonymous;
}

guint
furlhint_plan_get_n_entries (const FurlHintPlan *plan)
{
  g_return_val_if_fail (plan != NULL, 0);

  return plan->n_items;
}

const FurlHintPlanEntry *
furlhint_plan_get_entry (const FurlHintPlan *plan,
                         guint index)
{
  g_return_val_if_fail (plan != NULL, NULL);
  g_return_val_if_fail (index < plan->n_items, NULL);

  return &((PlanItem *) plan->items[index])->entry;
}

guint
furlhint_plan_get_n_routes (const FurlHintPlan *plan)
{
  guint i, n = 0;

  g_return_val_if_fail (plan != NULL, 0);

  if (plan->finished)
    return plan->n_routes;

  /* Not finished yet (a ranker asking mid-way): count, don't trust. */
  for (i = 0; i < plan->n_items; i++)
    if (((PlanItem *) plan->items[i])->entry.routed)
      n++;
  return n;
}

gchar *
furlhint_plan_entry_dup_status (const FurlHintPlanEntry *entry)
{
  const gchar *reason;

  g_return_val_if_fail (entry != NULL, NULL);

  if (entry->routed)
    return NULL;
  reason = entry->reason != NULL ? entry->reason : "no reason given";
  /* Rankers' reasons may already start with the prefix. */
  if (g_str_has_prefix (reason, "bad hint: ") || g_str_has_prefix (reason, "no route: "))
    return g_strdup (reason);
  return g_strconcat (entry->code == FURLHINT_POLICY_ERROR_BAD_HINT
                        || entry->code == FURLHINT_POLICY_ERROR_NO_HANDLER
                        ? "bad hint: " : "no route: ",
                      reason, NULL);
}

GError *
furlhint_plan_dup_no_route_error (const FurlHintPlan *plan)
{
  GString *message;
  guint i, n_listed = 0;

  g_return_val_if_fail (plan != NULL, NULL);

  if (furlhint_plan_get_n_routes (plan) > 0)
    return NULL;

  message = g_string_new ("no route: ");

  if (furlhint_furl_get_n_hints (plan->furl) == 0)
    g_string_append (message, "the FURL has no connection hints");

  for (i = 0; i < plan->n_items; i++)
    {
      const FurlHintPlanEntry *entry = &((PlanItem *) plan->items[i])->entry;
      const gchar *reason = entry->reason != NULL ? entry->reason : "no reason given";

      if (entry->routed)
        continue;
      /* The reasons often start with "no route: " themselves. */
      if (g_str_has_prefix (reason, "no route: "))
        reason += strlen ("no route: ");

      if (n_listed++ > 0)
        g_string_append (message, "; ");
      g_string_append_printf (message, "%s: %s",
                              furlhint_hint_get_text (entry->hint), reason);
    }

  if (n_listed == 0 && furlhint_furl_get_n_hints (plan->furl) > 0)
    g_string_append (message, "the ranking policy gave no hint a route");

  {
    GError *error = g_error_new_literal (FURLHINT_POLICY_ERROR, FURLHINT_POLICY_ERROR_NO_ROUTE,
                                         message->str);
    g_string_free (message, TRUE);
    return error;
  }
}
