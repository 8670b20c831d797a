package org.imaarchiver.archive.chain;

import java.util.List;

/** The verification result of an archive: one report per host, ascending by host id. */
public record ArchiveReport(List<ChainReport> hosts) {
    public ArchiveReport {
        hosts = List.copyOf(hosts);
    }

    /** True when every host verified without findings. */
    public boolean ok() { return hosts.stream().allMatch(ChainReport::ok); }
}
