package org.imaarchiver.archive.sign;

import java.io.IOException;
import org.imaarchiver.replay.bytes.Bytes;

/** Answers an RFC 3161 TimeStampReq (DER) with a TimeStampResp (DER). */
public interface TimestampAuthority {
    Bytes exchange(Bytes timeStampRequest) throws IOException;
}
