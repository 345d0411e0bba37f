#!/usr/bin/env python3
# furlhint from Python through GObject Introspection (PyGObject).
#
# Parses a FURL, shows its connection plan with the reasons (as
# `furlhint rank --explain` does), then connects to it asynchronously on a
# GLib main loop and exchanges one line with whatever answers (an echo
# server in tests/test-gi-python.c).
#
#   python3 furlhint_demo.py [--config tahoe.cfg] [--anonymous] FURL [LINE]
#
# Needs the FurlHint-1.0 typelib (installed in $libdir/girepository-1.0,
# or GI_TYPELIB_PATH) and python3-gi. Exits 0 when the line came back.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import argparse
import sys

import gi

gi.require_version("GLib", "2.0")
gi.require_version("Gio", "2.0")
gi.require_version("FurlHint", "1.0")
from gi.repository import FurlHint, Gio, GLib  # noqa: E402

# A failure bound for the whole exchange, not a synchronisation: the
# connect has its own timeout (Foolscap's 120 s) below this.
TIMEOUT_SECONDS = 150


def error_text(error):
    """A GLib.Error as the CLI prints it: message (domain/code name)."""
    domain = FurlHint.error_domain_name(GLib.quark_from_string(error.domain))
    return "%s (%s/%s)" % (error.message, domain or error.domain,
                           FurlHint.error_code_name(error))


def show_furl(furl):
    print("FURL %s" % furl.to_censored_string())
    print("  kind: %s, network: %s" % (furl.get_kind().value_nick,
                                       furl.get_network().value_nick))
    print("  tubid: %s" % furl.get_tubid())
    for i in range(furl.get_n_hints()):
        hint = furl.get_hint(i)
        print("  hint %d: %s (type %s)" % (i + 1, hint.get_canonical(),
                                           hint.get_hint_type()))
        for warning in hint.get_lint():
            print("    lint: %s" % warning)


def explain_plan(ctx, furl, plan):
    config = ctx.get_config()
    print("mode: %s" % ("anonymous" if config.get_anonymous() else "normal"))
    print("[connections] tcp = %s" % config.get_tcp_mode().value_nick)
    for plugin in ctx.get_plugins():
        print("plugin %s: %s%s%s" % (
            plugin.get_name(), plugin.get_anon_class().value_nick,
            # get_flags() is a FurlHint.PluginFlags, with its nicks
            ", carries tcp" if "can-carry-tcp" in plugin.get_flags().value_nicks else "",
            "" if plugin.is_configured() else ", not configured"))
    print("plan:")
    for i in range(plan.get_n_entries()):
        entry = plan.get_entry(i)
        hint = furl.get_hint(entry.hint_index).get_canonical()
        if entry.routed:
            print("  route #%d: %s: %s via %s: %s" % (
                i + 1, hint, entry.anon_class.value_nick,
                entry.plugin.get_name(), entry.description))
        else:
            print("  %s: rejected (%s): %s" % (
                hint, FurlHint.policy_error_code_name(entry.code),
                entry.reason))
    n_routes = plan.get_n_routes()
    tiers = {plan.get_entry(i).tier for i in range(n_routes)}
    print("verdict: %d route%s in %d tier%s" % (
        n_routes, "" if n_routes == 1 else "s",
        len(tiers), "" if len(tiers) == 1 else "s"))


class Exchange:
    """Connect, send one line, read it back: each step a callback."""

    def __init__(self, ctx, furl, line, loop):
        self.ctx, self.furl, self.line, self.loop = ctx, furl, line, loop
        self.ok = False
        self.result = None

    def start(self):
        self.ctx.connect_async(self.furl, None, None, self.on_connected)

    def fail(self, what, error):
        print("%s: %s" % (what, error_text(error)))
        self.loop.quit()

    def on_connected(self, _source, res):
        # The source object is None: a FurlHintContext is a boxed type,
        # not a GObject. connect_finish_result(), not connect_finish():
        # the result comes on failure too, and an exception would drop it
        # (leaked); its error says what failed.
        self.result = self.ctx.connect_finish_result(res)
        if self.result.get_error() is not None:
            return self.fail("connect failed", self.result.get_error())
        winner = self.result.get_winner()
        print("connected in %d ms through %s (%s): %s" % (
            self.result.get_elapsed_ms(), winner.plugin.get_name(),
            winner.anon_class.value_nick, winner.description))
        for i in range(self.furl.get_n_hints()):
            print("  hint %d: %s" % (i + 1, self.result.get_hint_status(i)))
        stream = self.result.get_stream()
        self.input = Gio.DataInputStream.new(stream.get_input_stream())
        stream.get_output_stream().write_all_async(
            (self.line + "\n").encode(), GLib.PRIORITY_DEFAULT, None,
            self.on_written)

    def on_written(self, output, res):
        try:
            output.write_all_finish(res)
        except GLib.Error as error:
            return self.fail("write failed", error)
        self.input.read_line_async(GLib.PRIORITY_DEFAULT, None, self.on_line)

    def on_line(self, input, res):
        try:
            data, _length = input.read_line_finish_utf8(res)
        except GLib.Error as error:
            return self.fail("read failed", error)
        print("echo: %s" % data)
        self.ok = data == self.line
        self.result.get_stream().close(None)
        self.loop.quit()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", help="the node's tahoe.cfg")
    parser.add_argument("--anonymous", action="store_true",
                        help="anonymous mode, whatever the configuration says")
    parser.add_argument("furl")
    parser.add_argument("line", nargs="?", default="hello from PyGObject")
    args = parser.parse_args()

    try:
        furl = FurlHint.Furl.parse(args.furl)
        config = (FurlHint.Config.load_file(args.config) if args.config
                  else FurlHint.Config.new())
    except GLib.Error as error:
        print("refused: %s" % error_text(error))
        return 2
    if args.anonymous:
        # Before the plugins load: they are initialised in the mode of that
        # moment (furlhint_config_set_anonymous()).
        config.set_anonymous(True)

    ctx = FurlHint.Context.new(config)
    ctx.load_plugins()
    for error in ctx.get_plugin_errors():
        print("plugin not loaded: %s" % error_text(error))

    show_furl(furl)
    plan = ctx.rank(furl, None)
    explain_plan(ctx, furl, plan)
    if plan.get_n_routes() == 0:
        print("no route: %s" % plan.dup_no_route_error().message)
        return 1

    loop = GLib.MainLoop()
    exchange = Exchange(ctx, furl, args.line, loop)
    exchange.start()

    def timed_out():
        print("no answer within %d s" % TIMEOUT_SECONDS)
        loop.quit()
        return GLib.SOURCE_REMOVE

    GLib.timeout_add_seconds(TIMEOUT_SECONDS, timed_out)
    loop.run()
    return 0 if exchange.ok else 1


if __name__ == "__main__":
    sys.exit(main())
