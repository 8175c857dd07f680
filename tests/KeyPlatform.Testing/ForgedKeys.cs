using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;

namespace KeyPlatform.Testing;

/// <summary>
/// Private keys that do not belong to their public key: the right modulus and exponent (so the right thumbprint) with
/// made-up private fields, as someone who holds only the public key would forge them. Written as PKCS#8 by hand,
/// because the platform's crypto library refuses to load such a key (which is why the product must not rely on it).
/// </summary>
public static class ForgedKeys
{
    /// <summary>How the private fields are made up.</summary>
    public enum Forgery
    {
        /// <summary>The private exponent (and its CRT parts) changed; primes kept.</summary>
        ChangedPrivateExponent,

        /// <summary>Every private field taken from another key of the same size.</summary>
        AnotherKeysPrivateFields,
    }

    /// <summary>PKCS#8 with <paramref name="key"/>'s public key (n, e) and private fields made up by <paramref name="forgery"/>.</summary>
    public static byte[] Pkcs8WithMadeUpPrivateFields(RSA key, Forgery forgery = Forgery.ChangedPrivateExponent)
    {
        var real = key.ExportParameters(includePrivateParameters: true);
        RSAParameters forged;
        if (forgery == Forgery.AnotherKeysPrivateFields)
        {
            using var other = RSA.Create(key.KeySize);
            forged = other.ExportParameters(includePrivateParameters: true);
        }
        else
        {
            forged = real;
            forged.D = Flip(real.D!);
            forged.DP = Flip(real.DP!);
            forged.DQ = Flip(real.DQ!);
        }

        var rsaPrivateKey = new AsnWriter(AsnEncodingRules.DER);
        using (rsaPrivateKey.PushSequence())
        {
            rsaPrivateKey.WriteInteger(0);
            foreach (var field in new[] { real.Modulus!, real.Exponent!, forged.D!, forged.P!, forged.Q!, forged.DP!, forged.DQ!, forged.InverseQ! })
            {
                rsaPrivateKey.WriteInteger(new BigInteger(field, isUnsigned: true, isBigEndian: true));
            }
        }

        var pkcs8 = new AsnWriter(AsnEncodingRules.DER);
        using (pkcs8.PushSequence())
        {
            pkcs8.WriteInteger(0);
            using (pkcs8.PushSequence())
            {
                pkcs8.WriteObjectIdentifier("1.2.840.113549.1.1.1");
                pkcs8.WriteNull();
            }

            pkcs8.WriteOctetString(rsaPrivateKey.Encode());
        }

        return pkcs8.Encode();
    }

    private static byte[] Flip(byte[] value)
    {
        var copy = value.ToArray();
        copy[copy.Length / 2] ^= 0x5a;
        return copy;
    }
}
