/**
 * Coverage-guided fuzz targets (Jazzer, {@code @FuzzTest}) for the archive-format parsers of untrusted
 * bytes: manifests, CMS signatures, verification receipts, segment footers. One class per target, as in replay-engine's
 * {@code org.imaarchiver.replay.fuzz}; seed corpora under
 * {@code src/test/resources/org/imaarchiver/archive/fuzz/CLASSInputs/METHOD/} (docs/testing.md "Fuzzing").
 */
package org.imaarchiver.archive.fuzz;
