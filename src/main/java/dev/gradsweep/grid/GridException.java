package dev.gradsweep.grid;

/** A grid file (or grid value) that cannot be used; the message names the file, the key and what is allowed. */
public class GridException extends IllegalArgumentException {
    public GridException(String message) {
        super(message);
    }
}
