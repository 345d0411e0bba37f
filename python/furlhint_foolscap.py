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

import os
import socket

import gi

gi.require_version("FurlHint", "1.0")
from gi.repository import FurlHint, Gio, GLib  # noqa: E402

from foolscap.ipb import IConnectionHintHandler, InvalidHintError  # noqa: E402
from twisted.internet import defer, threads  # noqa: E402
from twisted.internet.interfaces import IStreamClientEndpoint  # noqa: E402
from twisted.internet.protocol import Factory  # noqa: E402
from zope.interface import implementer  # noqa: E402

__all__ = ["install_handlers", "FurlHintHandler"]

HINT_TYPES = ("tcp", "tor", "i2p")

# furlhint ranks FURLs: each hint is ranked as the only hint of a FURL
# with this tub ID and name (placeholders: neither leaves this process,
# and the connection carries only what Foolscap sends over it).
_TUBID = "a" * 32
_NAME = "furlhint-foolscap"

_BAD_HINT = "bad hint: "


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


@implementer(IStreamClientEndpoint)
class _FurlHintEndpoint:
    def __init__(self, handler, furl, update_status):
        self._handler = handler
        self._furl = furl
        self._update_status = update_status

    def _connect_blocking(self, cancellable):
        # A context is used from one thread only (<furlhint/furlhint.h>):
        # this thread makes its own. furlhint_context_connect_fd() runs
        # the connect on a private main context and returns a socket.
        ctx = _new_context(self._handler.config_path, self._handler.anonymous)
        fd, result = ctx.connect_fd(self._furl, None, cancellable)
        return fd, result.get_hint_status(0), ctx

    def connect(self, factory):
        from twisted.internet import reactor

        # Foolscap cancels the connects still pending once one connection
        # has won. The cancellable ends ours in the pool thread at once
        # (it may be cancelled from any thread): otherwise the thread
        # stays blocked up to the connect timeout, and a socket that
        # connects after all is never closed.
        cancellable = Gio.Cancellable()
        done = defer.Deferred(canceller=lambda _: cancellable.cancel())

        def adopt(fd_status_ctx):
            fd, status, ctx = fd_status_ctx
            if done.called:
                # Connected while being cancelled: nobody wants it.
                os.close(fd)
                return
            capture = _CapturingFactory(factory)
            # The socket object owns the descriptor (and closes it); the
            # reactor adopts a copy of its own.
            with socket.socket(fileno=fd) as sock:
                reactor.adoptStreamConnection(sock.fileno(), sock.family, capture)
            # The stream lives only as long as its context: the i2p plugin
            # ends its I2P session, and every stream of it, when the
            # context goes, and a tor the context launched stops with it
            # (furlhint_context_unref()). The transport keeps the context
            # for as long as the connection is open: Foolscap replaces the
            # protocol after negotiation, not the transport.
            capture.protocol.transport._furlhint_context = ctx
            # An adopted connection is a server's to Twisted, and Foolscap's
            # startTLS() takes the transport's default side: we are the
            # client (twisted.internet.tcp.Client sets the same flag).
            capture.protocol.transport._tlsClientDefault = True
            self._update_status(status)
            done.callback(capture.protocol)

        def failed(f):
            if done.called:
                return  # cancelled: Foolscap already has its CancelledError
            if f.check(GLib.Error):
                self._update_status("failed to connect: %s" % f.value.message)
            done.errback(f)

        self._update_status("connecting")
        # failed() also gets what adopt() raises: @done fires either way.
        threads.deferToThread(self._connect_blocking, cancellable) \
            .addCallback(adopt).addErrback(failed)
        return done


@implementer(IConnectionHintHandler)
class FurlHintHandler:
    """One Foolscap hint handler: furlhint's policy and plugins for every
    hint type it is registered for."""

    def __init__(self, config_path=None, anonymous=None):
        self.config_path = config_path
        self.anonymous = anonymous
        # Ranking is pure (no I/O): one context, on the reactor's thread.
        self._ctx = _new_context(config_path, anonymous)

    def hint_to_endpoint(self, hint, reactor, update_status):
        try:
            furl = FurlHint.Furl.parse("pb://%s@%s/%s" % (_TUBID, hint, _NAME))
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
