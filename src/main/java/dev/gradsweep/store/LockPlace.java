package dev.gradsweep.store;

import java.io.PrintStream;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;

/**
 * Where {@link OutputLock} keeps its files: beside the tables it protects. The default catalog's tables are in the
 * output directory, so the lock is too. A configured catalog's tables are in its namespace, which several outputs
 * (--out) may share, so the lock goes where the namespace is: {@code <warehouse>/<level>/<level>} for a Hadoop
 * catalog (the namespace's own directory) and for any catalog whose warehouse is a path, else the namespace's {@code location} when the
 * catalog reports one. With neither, the lock falls back to the output directory and says so: two outputs into that
 * namespace are then not excluded.
 *
 * @param dir the directory of the lock files
 * @param subject what the lock covers, for messages ("output results/quick", "namespace sweeps.quick of catalog ...")
 */
record LockPlace(OutputDir dir, String subject) {
    static LockPlace of(OutputDir out, ResultTables.CatalogSpec spec, PrintStream err) {
        if (!spec.configured()) return new LockPlace(out, "output " + out.root());
        String ns = spec.namespace().toString();
        String subject = "namespace " + ns + " of catalog " + ResultTables.CATALOG;
        String warehouse = spec.properties().get("warehouse");
        boolean hadoop = "hadoop".equalsIgnoreCase(spec.properties().get("type"));
        if (warehouse != null && (hadoop || isPath(warehouse)))
            return new LockPlace(
                    new OutputDir(
                            warehouse + "/" + String.join("/", spec.namespace().levels())),
                    subject);
        String location = reportedLocation(spec.properties(), spec.namespace(), out);
        if (location != null) return new LockPlace(new OutputDir(location), subject);
        err.println("gradsweep: warning: catalog " + ResultTables.CATALOG + " gives no path for namespace " + ns
                + " (no warehouse path, no namespace location): the writers' lock covers only " + out.root()
                + ", so a second sweep into " + ns + " with another --out is not stopped");
        return new LockPlace(out, "output " + out.root());
    }

    /** An absolute path or a URI with a scheme (a REST catalog's warehouse may be a name instead). */
    private static boolean isPath(String s) {
        return s.startsWith("/") || new Path(s).toUri().getScheme() != null;
    }

    private static String reportedLocation(Map<String, String> props, Namespace ns, OutputDir out) {
        Catalog c = null;
        try {
            c = CatalogUtil.buildIcebergCatalog(
                    ResultTables.CATALOG, props, out.fs().getConf());
            if (c instanceof SupportsNamespaces sn && sn.namespaceExists(ns)) {
                String location = sn.loadNamespaceMetadata(ns).get("location");
                if (location != null && isPath(location)) return location;
            }
        } catch (RuntimeException e) {
            // a catalog that cannot say: the fallback below
        } finally {
            if (c instanceof java.io.Closeable closeable) {
                try {
                    closeable.close();
                } catch (java.io.IOException e) {
                    // only a client of the catalog
                }
            }
        }
        return null;
    }
}
