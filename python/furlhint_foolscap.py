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
import collections
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

# How long closing a handler waits for its plugins to end the routes it
# cancelled (a failure bound: they end at once).
_CLOSE_BOUND_S = 30


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
    So one thread with a GLib main loop of its own makes the context and
    runs every connect (furlhint_context_connect_async()), until close()
    finalises the context there (the launched tor stopped and its data
    directory removed, the I2P sessions ended)."""

    def __init__(self, config_path, anonymous):
        self._main_context = GLib.MainContext()
        self._loop = GLib.MainLoop(self._main_context)
        self._ctx = None
        self._cancellables = {}  # reactor thread: pending connect → cancellable
        self._idle_waiters = []  # reactor thread: _when_idle() Deferreds
        self._closed = False
        # Work for the connector's thread: a queue, and a pipe whose one
        # watch wakes the thread. Not a new GLib source per call: with
        # PyGObject before 3.44.2 (Debian 12) every short-lived Python
        # callback handed to GLib leaks its libffi closure.
        self._jobs = collections.deque()
        self._wake_read, self._wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        failure = []
        ready = threading.Event()

        def drain(*_args):
            try:
                os.read(self._wake_read, 4096)
            except BlockingIOError:
                pass
            while self._jobs:
                job = self._jobs.popleft()
                try:
                    job()
                except Exception:
                    pass  # each job reports its own failure (start())
            return True

        def run():
            self._main_context.push_thread_default()
            try:
                self._ctx = _new_context(config_path, anonymous)
            except Exception as error:
                failure.append(error)
                return
            finally:
                ready.set()
            watch = GLib.io_create_watch(GLib.IOChannel.unix_new(self._wake_read),
                                         GLib.IOCondition.IN)
            watch.set_callback(drain)
            watch.attach(self._main_context)
            self._loop.run()
            # close() cancelled the connects. Each holds the context (its
            # plugins are in use) until its last route has ended, which
            # takes turns of this loop; then the context goes, here. A
            # plugin that never ends its route is given up on after
            # _CLOSE_BOUND_S (the context is then left as it is).
            give_up = []
            bound = GLib.Timeout(_CLOSE_BOUND_S * 1000)
            bound.set_callback(lambda *_: give_up.append(True))
            bound.attach(self._main_context)
            while self._ctx.get_n_connects() > 0 and not give_up:
                self._main_context.iteration(True)
            bound.destroy()
            watch.destroy()
            self._ctx = None

        self._thread = threading.Thread(target=run, name="furlhint-connect", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            raise failure[0]

    def _call(self, func):
        """Runs func() once on the connector's thread."""
        self._jobs.append(func)
        try:
            os.write(self._wake_write, b"\0")
        except BlockingIOError:
            pass  # the pipe is full: a wake-up is pending anyway

    def connect(self, furl, cancellable, reactor, done):
        """Connects to furl on the connector's thread (a FurlHint.Furl is
        immutable, its reference count atomic); calls done(fd, status) or
        done(None, error) on the reactor's thread, exactly once. fd is a
        socket the caller owns."""
        key = object()

        def report(fd, outcome):
            del self._cancellables[key]
            try:
                done(fd, outcome)
            finally:
                if not self._cancellables:
                    waiters, self._idle_waiters = self._idle_waiters, []
                    for waiter in waiters:
                        waiter.callback(None)

        def finished(_source, res, _data):
            # Not connect_finish(): raising drops the result it also gives
            # on failure, which would leak. And the GAsyncResult is let go
            # of at once: until it is, the connect holds the context
            # (close() waits for that), and a traceback would keep it.
            result = self._ctx.connect_finish_result(res)
            res = None
            fd, outcome, stream = None, result.get_error(), None
            if outcome is None:
                try:
                    outcome = result.get_hint_status(0)
                    stream = result.steal_stream()
                    # The caller's own descriptor; the stream's closes. A
                    # stream that is not a socket (a third party's plugin)
                    # has no descriptor to give.
                    fd = os.dup(stream.get_socket().get_fd())
                except Exception as error:
                    outcome = error
                finally:
                    if stream is not None:
                        stream.close(None)
            reactor.callFromThread(report, fd, outcome)

        def start():
            try:
                self._ctx.connect_async(furl, None, cancellable, finished, None)
            except Exception as error:
                reactor.callFromThread(report, None, error)

        self._cancellables[key] = cancellable
        if self._closed or not self._thread.is_alive():
            reactor.callLater(0, report, None, RuntimeError(
                "furlhint: the handler's connector is closed"))
            return
        self._call(start)

    def _when_idle(self):
        """A Deferred that fires once no connect is pending (tests)."""
        d = defer.Deferred()
        if self._cancellables:
            self._idle_waiters.append(d)
        else:
            d.callback(None)
        return d

    def close(self):
        """Cancels the pending connects and finalises the context on its
        thread; waits for that (bounded by the plugins' own fini)."""
        if self._closed:
            return
        self._closed = True
        for cancellable in list(self._cancellables.values()):
            cancellable.cancel()
        self._call(self._loop.quit)
        self._thread.join()
        os.close(self._wake_read)
        os.close(self._wake_write)


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

    def close(self):
        """Ends the handler: cancels its pending connects and finalises its
        connecting context (a tor it launched is stopped and its data
        directory removed; its I2P sessions end, and the connections
        through them). install_handlers() calls it when the reactor shuts
        down; a handler made directly must be closed by its owner."""
        self.connector.close()


def install_handlers(tub, config_path, anonymous=None):
    """Replace the Tub's hint handlers by furlhint's for tcp, tor and i2p,
    configured from the tahoe.cfg at config_path (None: Tahoe's defaults).
    anonymous=None keeps the configuration's mode; True or False forces
    it. The handler is closed (FurlHintHandler.close()) when the reactor
    shuts down. Returns the handler."""
    from twisted.internet import reactor

    handler = FurlHintHandler(config_path, anonymous)
    reactor.addSystemEventTrigger("before", "shutdown", handler.close)
    tub.removeAllConnectionHintHandlers()
    for hint_type in HINT_TYPES:
        tub.addConnectionHintHandler(hint_type, handler)
    return handler
