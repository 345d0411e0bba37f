/* Shared by the libFuzzer targets in fuzz/ (see fuzz/README.md).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FURLHINT_FUZZ_COMMON_H
#define FURLHINT_FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

/* The library never logs on runtime input (it reports GErrors): a
 * warning or a critical (a g_return_if_fail hit by input) is a bug,
 * so it must crash the fuzzer. */
static inline void
fuzz_setup_glib (void)
{
  g_log_set_always_fatal (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  g_log_set_fatal_mask ("furlhint", G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
}

/* @data as a NUL-terminated string (transfer full); NULL when it holds a
 * NUL byte, which a C string API cannot receive. */
static inline gchar *
fuzz_strndup (const uint8_t *data,
              size_t size)
{
  gchar *s;

  if (memchr (data, '\0', size) != NULL)
    return NULL;
  s = g_malloc (size + 1);
  memcpy (s, data, size);
  s[size] = '\0';
  return s;
}

#define FUZZ_ASSERT(cond)                                                  \
  do {                                                                     \
    if (!(cond))                                                           \
      {                                                                    \
        g_printerr ("fuzz invariant failed at %s:%d: %s\n", __FILE__,      \
                    __LINE__, #cond);                                      \
        abort ();                                                          \
      }                                                                    \
  } while (0)

/* Every GError a parser sets: non-empty, valid UTF-8 (messages reach
 * logs, status callbacks and terminals; GError messages are UTF-8). */
#define FUZZ_ASSERT_ERROR(err, domain_quark)                               \
  do {                                                                     \
    FUZZ_ASSERT ((err) != NULL);                                           \
    FUZZ_ASSERT ((err)->domain == (domain_quark));                         \
    FUZZ_ASSERT ((err)->message != NULL && (err)->message[0] != '\0');    \
    if (!g_utf8_validate ((err)->message, -1, NULL))                       \
      {                                                                    \
        g_printerr ("error message is not UTF-8: %s\n", (err)->message); \
        FUZZ_ASSERT (!"GError message is not valid UTF-8");                \
      }                                                                    \
  } while (0)

#endif
