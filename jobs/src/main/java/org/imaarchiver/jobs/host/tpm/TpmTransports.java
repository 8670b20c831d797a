package org.imaarchiver.jobs.host.tpm;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Opens a transport from a TCTI-like string, so the CLI can take one option:
 * {@code device:/dev/tpmrm0} (or just a path starting with {@code /}), and
 * {@code swtpm:host=127.0.0.1,port=2321} (tpm2-tools' spelling; add {@code ,mode=persistent} to keep
 * one exclusive connection). {@code mssim:} is refused on purpose: swtpm does not speak it
 * (kernel-interface.md T.1).
 */
public final class TpmTransports {
    private TpmTransports() {}

    public static TpmTransport open(String spec) throws TpmUnavailableException {
        String s = spec.trim();
        if (s.startsWith("/")) return DeviceTransport.open(Path.of(s));
        int colon = s.indexOf(':');
        String kind = (colon < 0 ? s : s.substring(0, colon)).toLowerCase(Locale.ROOT);
        String rest = colon < 0 ? "" : s.substring(colon + 1);
        if (kind.equals("device")) {
            return DeviceTransport.open(rest.isEmpty() ? DeviceTransport.DEFAULT_DEVICE : Path.of(rest));
        }
        if (kind.equals("swtpm")) {
            Map<String, String> kv = new HashMap<>();
            for (String part : rest.split(",")) {
                if (part.isBlank()) continue;
                int eq = part.indexOf('=');
                if (eq < 0) throw new IllegalArgumentException("swtpm option without '=': " + part);
                kv.put(part.substring(0, eq).trim().toLowerCase(Locale.ROOT), part.substring(eq + 1).trim());
            }
            String host = kv.getOrDefault("host", "127.0.0.1");
            int port = Integer.parseInt(kv.getOrDefault("port", "2321"));
            SwtpmSocketTransport.Mode mode = "persistent".equalsIgnoreCase(kv.get("mode"))
                    ? SwtpmSocketTransport.Mode.PERSISTENT : SwtpmSocketTransport.Mode.PER_COMMAND;
            return SwtpmSocketTransport.connect(host, port, mode, SwtpmSocketTransport.DEFAULT_TIMEOUT);
        }
        throw new IllegalArgumentException("unknown TPM transport '" + spec + "' (use device:/dev/tpmrm0 or swtpm:host=H,port=P;"
                + " mssim: is not supported, swtpm does not speak it)");
    }

    /** The default for a production host. */
    public static TpmTransport openDefault() throws TpmUnavailableException {
        return DeviceTransport.open(DeviceTransport.DEFAULT_DEVICE);
    }
}
