package org.imaarchiver.archive.sign;

import java.security.Provider;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/** One Bouncy Castle provider instance, passed explicitly (never installed JVM-wide). */
final class Bc {
    private Bc() {}

    static final Provider PROVIDER = new BouncyCastleProvider();
}
