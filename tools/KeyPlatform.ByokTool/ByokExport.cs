using System.Security.Cryptography;
using System.Text;
using KeyPlatform.Vault;
using KeyPlatform.Vault.KeyFiles;

namespace KeyPlatform.ByokTool;

/// <summary>
/// What an HSM vendor's BYOK tool does: wraps a tenant's RSA 2048-bit private key for the platform's key-exchange
/// key of a region, into a .byok file the platform accepts (K2, K4).
/// </summary>
public static class ByokExport
{
    public const int Succeeded = 0;
    public const int Failed = 1;

    /// <returns><see cref="Succeeded"/>, or <see cref="Failed"/> with the reason written to <paramref name="error"/>.</returns>
    public static int Run(ByokExportRequest request, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        try
        {
            if (string.IsNullOrWhiteSpace(request.Kid))
            {
                throw new ByokExportException("--kid is empty: give the key-exchange key id shown by the platform.");
            }

            using var keyExchangeKey = ReadKeyExchangePublicKey(request.KekPublicKeyPath);
            using var key = ReadPrivateKey(request.KeyPath, request.Password);
            var pkcs8 = key.ExportPkcs8PrivateKey();
            byte[] byok;
            try
            {
                byok = ByokFile.Create(pkcs8, keyExchangeKey, request.Kid.Trim());
            }
            finally
            {
                CryptographicOperations.ZeroMemory(pkcs8);
            }

            Write(request.OutPath, byok);
            output.WriteLine(
                $"Wrote {request.OutPath} for key-exchange key {request.Kid.Trim()}; key thumbprint {KeyThumbprint.Of(key)}.");
            return Succeeded;
        }
        catch (ByokExportException failure)
        {
            error.WriteLine($"error: {failure.Message}");
            return Failed;
        }
    }

    private static RSA ReadKeyExchangePublicKey(string path)
    {
        var pem = ReadText(path, "key-exchange public key");
        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
        }
        catch (ArgumentException)
        {
            rsa.Dispose();
            throw new ByokExportException(
                $"{path} is not an RSA public key in PEM (-----BEGIN PUBLIC KEY-----); download the key-exchange key again.");
        }
        catch (CryptographicException)
        {
            rsa.Dispose();
            throw new ByokExportException($"{path} holds a damaged RSA public key.");
        }

        if (rsa.KeySize < 2048)
        {
            rsa.Dispose();
            throw new ByokExportException($"The key-exchange key in {path} is {rsa.KeySize} bits; it must be at least 2048.");
        }

        return rsa;
    }

    private static RSA ReadPrivateKey(string path, string? password)
    {
        var bytes = ReadBytes(path, "key");

        // A .pfx is DER, which starts with a SEQUENCE tag; PEM is text (openssl may put "Bag Attributes" first).
        return bytes is [0x30, ..]
            ? ReadPfx(bytes, password)
            : ReadPem(path, Encoding.UTF8.GetString(bytes), password);
    }

    private static RSA ReadPfx(byte[] bytes, string? password)
    {
        // The platform's own checks, so a file this tool accepts is one the platform accepts.
        var read = KeyFileReader.ReadPfx(bytes, password);
        if (read.IsRefused)
        {
            throw new ByokExportException(read.Refusal!.Reason);
        }

        using var loaded = read.Value;
        var pkcs8 = loaded.PrivateKey.ExportPkcs8PrivateKey();
        try
        {
            var copy = RSA.Create();
            copy.ImportPkcs8PrivateKey(pkcs8, out _);
            return copy;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    private static RSA ReadPem(string path, string pem, string? password)
    {
        var rsa = RSA.Create();
        try
        {
            if (pem.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", StringComparison.Ordinal))
            {
                if (string.IsNullOrEmpty(password))
                {
                    throw new ByokExportException($"{path} is an encrypted private key: give its --password.");
                }

                rsa.ImportFromEncryptedPem(pem, password);
            }
            else
            {
                rsa.ImportFromPem(pem);
            }
        }
        catch (ArgumentException)
        {
            rsa.Dispose();
            throw new ByokExportException($"{path} holds no RSA key in PEM (PRIVATE KEY or RSA PRIVATE KEY).");
        }
        catch (CryptographicException)
        {
            rsa.Dispose();
            throw new ByokExportException($"{path} cannot be read: the password is wrong or the key is damaged.");
        }
        catch (ByokExportException)
        {
            rsa.Dispose();
            throw;
        }

        try
        {
            CryptographicOperations.ZeroMemory(rsa.ExportPkcs8PrivateKey());
        }
        catch (CryptographicException)
        {
            rsa.Dispose();
            throw new ByokExportException($"{path} holds only a public key; the private key is needed.");
        }

        if (rsa.KeySize != KeyFileReader.RequiredKeySizeBits)
        {
            var bits = rsa.KeySize;
            rsa.Dispose();
            throw new ByokExportException($"The key must be RSA {KeyFileReader.RequiredKeySizeBits} bits; this one is {bits} bits.");
        }

        return rsa;
    }

    private static byte[] ReadBytes(string path, string what)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new ByokExportException($"The {what} file {path} does not exist.");
            }

            if (info.Length > KeyFileReader.MaxFileBytes)
            {
                throw new ByokExportException($"The {what} file {path} is {info.Length:N0} bytes: too big to be a key.");
            }

            return File.ReadAllBytes(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new ByokExportException($"The {what} file {path} cannot be read: {exception.Message}");
        }
    }

    private static string ReadText(string path, string what) => Encoding.UTF8.GetString(ReadBytes(path, what));

    private static void Write(string path, byte[] content)
    {
        try
        {
            using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
            file.Write(content);
        }
        catch (IOException) when (File.Exists(path))
        {
            throw new ByokExportException($"{path} already exists; choose another --out or remove it first.");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new ByokExportException($"{path} cannot be written: {exception.Message}");
        }
    }
}
