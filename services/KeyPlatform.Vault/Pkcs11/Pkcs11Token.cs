using System.Collections.Concurrent;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace KeyPlatform.Vault.Pkcs11;

/// <summary>
/// The one connection of this process to the token: the library loaded once, one login (PKCS#11 login state belongs to
/// the application, shared by all its sessions, so one session stays open holding it), and a pool of read-write sessions
/// handed to one caller at a time. When the library or the token went away under us (a token restart, someone's
/// <c>C_Finalize</c>), the next operation reconnects (reload, log in again, fresh sessions) and is tried once more.
/// Each connection (each library generation) has its own <see cref="KeyObjects"/>: object handles are only good for the
/// library instance that gave them, so a reconnect starts with none.
/// </summary>
/// <remarks>Errors name the library, the token and the PKCS#11 return value; never the PIN.</remarks>
internal sealed class Pkcs11Token : IDisposable
{
    /// <summary>Return values that mean the connection, not the operation, failed.</summary>
    private static readonly HashSet<CKR> ConnectionLost =
    [
        CKR.CKR_CRYPTOKI_NOT_INITIALIZED, CKR.CKR_SESSION_HANDLE_INVALID, CKR.CKR_SESSION_CLOSED, CKR.CKR_DEVICE_REMOVED,
        CKR.CKR_TOKEN_NOT_PRESENT, CKR.CKR_TOKEN_NOT_RECOGNIZED, CKR.CKR_USER_NOT_LOGGED_IN, CKR.CKR_DEVICE_ERROR,
        CKR.CKR_SLOT_ID_INVALID,
    ];

    /// <summary>Whether a return value says the connection (not the operation) failed: those are retried after a reconnect.</summary>
    public static bool IsConnectionLost(CKR value) => ConnectionLost.Contains(value);

    private readonly Pkcs11VaultOptions _options;
    private readonly Lock _gate = new();
    private Connection? _connection;
    private bool _disposed;

    public Pkcs11Token(Pkcs11VaultOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.TokenLabel))
        {
            throw new InvalidOperationException($"The PKCS#11 vault needs {Pkcs11VaultOptions.SectionName}:TokenLabel.");
        }

        _options = options;
        Pkcs11NativeLibrary.EnsureResolver();
    }

    public Pkcs11InteropFactories Factories { get; } = new();

    /// <summary>How errors name this store: the token and its library (never the PIN).</summary>
    public string Name => $"PKCS#11 token '{_options.TokenLabel}' ({_options.Library})";

    /// <summary>How many times this process connected (1 after the first operation; more after reconnects).</summary>
    public int Connections { get; private set; }

    /// <summary>Loads the library, finds the token and logs in, unless already connected: a bad setting fails here.</summary>
    public void Connect() => Current();

    /// <summary>Runs <paramref name="operation"/> on a pooled session; reconnects and retries once if the connection was lost.</summary>
    public T Run<T>(Func<ISession, T> operation) => Run((session, _) => operation(session));

    /// <summary>The same, with the key objects this connection found (handles valid for its library generation only).</summary>
    public T Run<T>(Func<ISession, KeyObjects, T> operation)
    {
        for (var attempt = 0; ; attempt++)
        {
            var connection = Current();
            ISession? session;
            try
            {
                session = connection.Rent();
            }
            catch (Pkcs11Exception exception) when (ConnectionLost.Contains(exception.RV))
            {
                // No idle session, and opening one failed: the connection is gone as surely as when a call fails.
                Drop(connection);
                ThrowIfRetried(attempt, exception);
                continue;
            }

            if (session is null)
            {
                attempt--;   // retired between Current and Rent: not a failure of ours
                continue;
            }

            try
            {
                var result = operation(session, connection.Keys);
                connection.Return(session);
                return result;
            }
            catch (Pkcs11Exception exception) when (ConnectionLost.Contains(exception.RV))
            {
                connection.Return(session, broken: true);
                Drop(connection);
                ThrowIfRetried(attempt, exception);
            }
            catch
            {
                connection.Return(session);
                throw;
            }
        }
    }

    private void ThrowIfRetried(int attempt, Pkcs11Exception exception)
    {
        if (attempt > 0)
        {
            throw new VaultUnavailableException(Name, $"The {Name} is not available: {exception.RV}.", exception);
        }
    }

    private Connection Current()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_connection is null)
            {
                _connection = Connection.Open(Factories, _options);
                Connections++;
            }

            return _connection;
        }
    }

    /// <summary>
    /// Forgets a connection that failed and closes it, under the gate: the library is finalised (once its sessions are
    /// back) before a new connection initialises it again, so an old finalise never ends a new connection.
    /// </summary>
    private void Drop(Connection failed)
    {
        lock (_gate)
        {
            if (ReferenceEquals(_connection, failed))
            {
                _connection = null;
            }

            failed.Dispose();
        }
    }

    public void Dispose()
    {
        Connection? connection;
        lock (_gate)
        {
            _disposed = true;
            connection = _connection;
            _connection = null;
        }

        connection?.Dispose();
    }

    private sealed class Connection : IDisposable
    {
        private readonly IPkcs11Library _library;
        private readonly ISlot _slot;
        private readonly ISession _loginSession;
        private readonly ObjectLabels _labels;
        private readonly ConcurrentBag<ISession> _idle = [];
        private int _inUse;
        private int _retired;
        private int _closed;

        /// <summary>The key objects found through this connection; gone with it.</summary>
        public KeyObjects Keys { get; }

        private Connection(IPkcs11Library library, ISlot slot, ISession loginSession, ObjectLabels labels)
        {
            Keys = new KeyObjects(labels);
            _labels = labels;
            _library = library;
            _slot = slot;
            _loginSession = loginSession;
        }

        public static Connection Open(Pkcs11InteropFactories factories, Pkcs11VaultOptions options)
        {
            if (!File.Exists(options.Library))
            {
                throw new InvalidOperationException(
                    $"The PKCS#11 library '{options.Library}' ({Pkcs11VaultOptions.SectionName}:Library) does not exist.");
            }

            var pin = options.ReadPin();
            IPkcs11Library library;
            try
            {
                library = factories.Pkcs11LibraryFactory.LoadPkcs11Library(factories, options.Library, AppType.MultiThreaded);
            }
            catch (Exception exception) when (exception is Pkcs11Exception or UnmanagedException or DllNotFoundException)
            {
                throw new VaultUnavailableException($"PKCS#11 library '{options.Library}'",
                    $"The PKCS#11 library '{options.Library}' could not be loaded and initialised: {exception.Message}", exception);
            }

            try
            {
                var slot = library.GetSlotList(SlotsType.WithTokenPresent)
                    .FirstOrDefault(candidate => candidate.GetTokenInfo().Label.Trim() == options.TokenLabel)
                    ?? throw new VaultUnavailableException($"PKCS#11 token '{options.TokenLabel}' ({options.Library})",
                        $"The PKCS#11 library '{options.Library}' has no token labelled '{options.TokenLabel}' " +
                        "(for SoftHSM in development: run scripts/infra.sh up).");
                var session = slot.OpenSession(SessionType.ReadWrite);
                try
                {
                    session.Login(CKU.CKU_USER, pin);
                }
                catch (Pkcs11Exception exception) when (exception.RV == CKR.CKR_USER_ALREADY_LOGGED_IN)
                {
                    // Another connection of this process logged in already: the login is the application's.
                }
                catch (Pkcs11Exception exception)
                {
                    session.Dispose();
                    throw new InvalidOperationException(
                        $"The PKCS#11 token '{options.TokenLabel}' refused the configured PIN ({exception.RV}).", exception);
                }

                return new Connection(library, slot, session, ObjectLabels.For(options.Library));
            }
            catch
            {
                library.Dispose();
                throw;
            }
        }

        /// <summary>A session for one caller, or null when this connection is being retired.</summary>
        public ISession? Rent()
        {
            Interlocked.Increment(ref _inUse);
            if (Volatile.Read(ref _retired) == 1)
            {
                Interlocked.Decrement(ref _inUse);
                return null;
            }

            try
            {
                return _idle.TryTake(out var session) ? session : _slot.OpenSession(SessionType.ReadWrite);
            }
            catch
            {
                Interlocked.Decrement(ref _inUse);
                throw;
            }
        }

        public void Return(ISession session, bool broken = false)
        {
            if (broken || Volatile.Read(ref _retired) == 1)
            {
                Quietly(session.Dispose);
            }
            else
            {
                _idle.Add(session);
            }

            Interlocked.Decrement(ref _inUse);
        }

        /// <summary>Retires the connection, waits (bounded) for its sessions to come back, then closes it.</summary>
        public void Dispose()
        {
            Volatile.Write(ref _retired, 1);
            SpinWait.SpinUntil(() => Volatile.Read(ref _inUse) == 0, TimeSpan.FromSeconds(30));
            if (Interlocked.Exchange(ref _closed, 1) == 1)
            {
                return;
            }

            // A library that was finalised under us answers every call with an error: closing is best effort.
            while (_idle.TryTake(out var session))
            {
                Quietly(session.Dispose);
            }

            Quietly(_loginSession.Logout);
            Quietly(_loginSession.Dispose);
            _labels.Dispose();
            Quietly(_library.Dispose);
        }

        private static void Quietly(Action action)
        {
            try
            {
                action();
            }
            catch (Pkcs11Exception)
            {
            }
        }
    }
}
