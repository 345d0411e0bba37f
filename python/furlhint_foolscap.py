# Foolscap connection-hint handlers backed by libfurlhint (through GObject
# Introspection): a Foolscap Tub (or a Tahoe-LAFS node) gets furlhint's
# plugins, its anonymity policy and its statuses.
#
#   import furlhint_foolscap
#   furlhint_foolscap.install_handlers(tub, "NODEDIR/tahoe.cfg")
#
# does for the Tub what Tahoe's create_connection_handlers() does: removes
# every handler, then handles `tcp`, `tor` and `i2p` hints with furlhint,
# configured from the tahoe.cfg. Each hint is ranked by furlhint's policy
# when Foolscap asks for its endpoint: a hint the policy will not route
# (a clear hint in anonymous mode) is refused then, with furlhint's reason,
# and Foolscap reports it as the hint's status.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import base64
import hashlib
import os
import socket
import threading

import gi

gi.require_version("FurlHint", "1.0")
from gi.repository import FurlHint, Gio, GLib  # noqa: E402

from foolscap.ipb import IConnectionHintHandler, InvalidHintError  # noqa: E402
from twisted.internet import defer  # noqa: E402
from twisted.internet.interfaces import IStreamClientEndpoint  # noqa: E402
from twisted.internet.protocol import Factory  # noqa: E402
from zope.interface import implementer  # noqa: E402

__all__ = ["install_handlers", "FurlHintHandler"]

HINT_TYPES = ("tcp", "tor", "i2p")

# furlhint ranks FURLs: each hint is ranked and connected as the only
# hint of a FURL with a placeholder tub ID and name (neither leaves this
# process, and the connection carries only what Foolscap sends over it).
# Foolscap does not tell a hint handler which Tub it is after, and the
# tub ID is what furlhint keeps peers apart by (Tor circuits, I2P client
# destinations), so the placeholder is made from the hint: connections
# to one hint share them, connections to different hints never do.
_NAME = "furlhint-foolscap"

_BAD_HINT = "bad hint: "


def _placeholder_tubid(hint):
    digest = hashlib.sha256(b"furlhint-foolscap tub ID\0" + hint.encode()).digest()
    return base64.b32encode(digest[:20]).decode("ascii").lower()


def _load_config(config_path, anonymous):
    config = (FurlHint.Config.load_file(config_path) if config_path
              else FurlHint.Config.new())
    if anonymous is not None:
        # Before plugins load: they are initialised in the mode of that
        # moment (furlhint_config_set_anonymous()).
        config.set_anonymous(bool(anonymous))
    return config


def _new_context(config_path, anonymous):
    ctx = FurlHint.Context.new(_load_config(config_path, anonymous))
    ctx.load_plugins()
    return ctx


class _CapturingFactory(Factory):
    """Hands Foolscap's factory the adopted connection, remembering the
    protocol it builds (Foolscap's endpoint.connect() fires with it)."""

    def __init__(self, factory):
        self.factory = factory
        self.protocol = None

    def buildProtocol(self, addr):
        self.protocol = self.factory.buildProtocol(addr)
        return self.protocol


class _Connector:
    """The context furlhint connects with, and the thread that runs it.

    A context is used from one thread only (<furlhint/furlhint.h>), and
    what its plugins start serves every connection and must outlive each:
    a tor the tor plugin launched (`[tor] launch = true`), the i2p
    plugin's client destinations (an I2P stream ends with its session).
    So one thread with a GLib main loop of its own makes the context,
    runs every connect (furlhint_context_connect_async()) and keeps the
    context for as long as the process runs."""

    def __init__(self, config_path, anonymous):
        self._main_context = GLib.MainContext()
        self._ctx = None
        failure = []
        ready = threading.Event()

        def run():
            self._main_context.push_thread_default()
            try:
                self._ctx = _new_context(config_path, anonymous)
            except GLib.Error as error:
                failure.append(error)
                return
            finally:
                ready.set()
            GLib.MainLoop(self._main_context).run()

        threading.Thread(target=run, name="furlhint-connect", daemon=True).start()
        ready.wait()
        if failure:
            raise failure[0]

    def connect(self, furl, cancellable, reactor, done):
        """Connects to furl on the connector's thread; calls
        done(fd, status) or done(None, error) on the reactor's thread.
        fd is a socket the caller owns."""

        def finished(_source, res, _data):
            try:
                result = self._ctx.connect_finish(res)
                stream = result.steal_stream()
                # The caller's own descriptor; the stream's closes.
                fd = os.dup(stream.get_socket().get_fd())
                stream.close(None)
            except (GLib.Error, OSError) as error:
                reactor.callFromThread(done, None, error)
                return
            reactor.callFromThread(done, fd, result.get_hint_status(0))

        def start(_data):
            self._ctx.connect_async(furl, None, cancellable, finished, None)
            return False

        source = GLib.Idle()
        source.set_callback(start)
        source.attach(self._main_context)


@implementer(IStreamClientEndpoint)
class _FurlHintEndpoint:
    def __init__(self, handler, furl, update_status):
        self._handler = handler
        self._furl = furl
        self._update_status = update_status

    def connect(self, factory):
        from twisted.internet import reactor

        # Foolscap cancels the connects still pending once one connection
        # has won: the cancellable ends ours in furlhint at once (it may
        # be cancelled from any thread).
        cancellable = Gio.Cancellable()
        d = defer.Deferred(canceller=lambda _: cancellable.cancel())

        def done(fd, status):
            if d.called:
                # Cancelled: Foolscap already has its CancelledError, and
                # a socket that connected meanwhile is nobody's.
                if fd is not None:
                    os.close(fd)
                return
            if fd is None:
                if isinstance(status, GLib.Error):
                    self._update_status("failed to connect: %s" % status.message)
                d.errback(status)
                return
            capture = _CapturingFactory(factory)
            try:
                # The socket object owns the descriptor (and closes it);
                # the reactor adopts a copy of its own.
                with socket.socket(fileno=fd) as sock:
                    reactor.adoptStreamConnection(sock.fileno(), sock.family, capture)
                # An adopted connection is a server's to Twisted, and
                # Foolscap's startTLS() takes the transport's default side:
                # we are the client (twisted.internet.tcp.Client sets the
                # same flag).
                capture.protocol.transport._tlsClientDefault = True
            except Exception:
                d.errback()
                return
            self._update_status(status)
            d.callback(capture.protocol)

        self._update_status("connecting")
        self._handler.connector.connect(self._furl, cancellable, reactor, done)
        return d


@implementer(IConnectionHintHandler)
class FurlHintHandler:
    """One Foolscap hint handler: furlhint's policy and plugins for every
    hint type it is registered for."""

    def __init__(self, config_path=None, anonymous=None):
        self.config_path = config_path
        self.anonymous = anonymous
        # Ranking is pure (no I/O): a context of its own, on the reactor's
        # thread. Connecting: the connector's, on its thread.
        self._ctx = _new_context(config_path, anonymous)
        self.connector = _Connector(config_path, anonymous)

    def hint_to_endpoint(self, hint, reactor, update_status):
        try:
            furl = FurlHint.Furl.parse("pb://%s@%s/%s" % (_placeholder_tubid(hint), hint,
                                                          _NAME))
        except GLib.Error as error:
            raise InvalidHintError("bad hint: %s" % error.message)
        if furl.get_n_hints() != 1:
            raise InvalidHintError("bad hint: %r is not one hint" % hint)
        plan = self._ctx.rank(furl, None)
        if plan.get_n_routes() == 0:
            # Foolscap's status for the hint is "bad hint: " and this
            # message: furlhint's own "bad hint: " goes, "no route: " stays.
            status = plan.get_entry(0).dup_status()
            if status.startswith(_BAD_HINT):
                status = status[len(_BAD_HINT):]
            raise InvalidHintError(status)
        route = plan.get_entry(0)
        return (_FurlHintEndpoint(self, furl, update_status),
                "%s (furlhint, %s)" % (route.description,
                                       route.anon_class.value_nick))

    def describe(self):
        return "furlhint"


def install_handlers(tub, config_path, anonymous=None):
    """Replace the Tub's hint handlers by furlhint's for tcp, tor and i2p,
    configured from the tahoe.cfg at config_path (None: Tahoe's defaults).
    anonymous=None keeps the configuration's mode; True or False forces
    it. Returns the handler."""
    handler = FurlHintHandler(config_path, anonymous)
    tub.removeAllConnectionHintHandlers()
    for hint_type in HINT_TYPES:
        tub.addConnectionHintHandler(hint_type, handler)
    return handler
