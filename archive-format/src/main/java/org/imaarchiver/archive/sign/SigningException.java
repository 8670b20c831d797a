package org.imaarchiver.archive.sign;

/** Signing failed: a key problem, or the timestamp authority refused or could not be reached. */
public class SigningException extends Exception {
    public SigningException(String message, Throwable cause) { super(message, cause); }
    public SigningException(String message) { super(message); }
}
