package dev.gradsweep.config;

/** A grid file (or grid value) that cannot be used; the message names the file, the key and what is allowed. */
public class BadInputException extends IllegalArgumentException {
    public BadInputException(String message) {
        super(message);
    }
}
