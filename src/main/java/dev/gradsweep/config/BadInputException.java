package dev.gradsweep.config;

/**
 * Input that cannot be used — a grid file or value, an option, a path — found before any work starts. The message
 * names the file or option, the key and what is allowed; the CLI exits with code 2.
 */
public class BadInputException extends IllegalArgumentException {
    public BadInputException(String message) {
        super(message);
    }
}
