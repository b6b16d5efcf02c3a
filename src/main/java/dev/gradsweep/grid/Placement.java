package dev.gradsweep.grid;

/**
 * The {@code placement} axis: where a norm sits in a skip block, pre (x + F(N(x))) or post (N(x + F(x))). It only
 * means something for a norm inside a skip block; elsewhere a run records {@link #NA}, which no grid file can name.
 */
public enum Placement {
    PRE("pre"),
    POST("post"),
    NA("n/a");

    /** The grid file's and the tables' spelling. */
    public final String key;

    Placement(String key) {
        this.key = key;
    }

    /** pre or post; null for anything else (n/a is derived, never chosen). */
    public static Placement parse(String s) {
        return s.equals("pre") ? PRE : s.equals("post") ? POST : null;
    }

    @Override
    public String toString() {
        return key;
    }
}
