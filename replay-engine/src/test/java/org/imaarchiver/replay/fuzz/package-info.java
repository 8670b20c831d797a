/**
 * Coverage-guided fuzz targets (Jazzer, {@code @FuzzTest}) for every replay-engine parser of untrusted
 * bytes, one class per target because Jazzer fuzzes one target per JVM. A target accepts only its
 * parser's typed failure: any other exception or error is a bug, reported with the input that caused
 * it. Without {@code JAZZER_FUZZ} each target runs once per input of its seed corpus
 * ({@code src/test/resources/org/imaarchiver/replay/fuzz/CLASSInputs/METHOD/}: the project's captured
 * data, cut small, and the inputs of the bugs fuzzing found); {@code scripts/fuzz} fuzzes them all
 * (docs/testing.md "Fuzzing").
 */
package org.imaarchiver.replay.fuzz;
