package dev.gradsweep.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.io.nativeio.NativeIO;

/**
 * Hadoop's local file system ({@code file:}), setting permissions with java.nio instead of a {@code chmod} process.
 * Without Hadoop's native library (the usual case: Spark ships none), RawLocalFileSystem sets the permissions of every
 * file it creates by forking {@code chmod}: ~5 ms a file, 8 ms from a sweep's large JVM, which made opening a task's
 * data files a quarter of a small-run sweep's time, and is paid again for every Iceberg metadata file a commit writes
 * (docs/tables.md). Everything else is Hadoop's own.
 */
public class NioLocalFileSystem extends LocalFileSystem {
    public static final String KEY = "fs.file.impl";

    public NioLocalFileSystem() {
        super(new Raw());
    }

    /** {@code conf} with this file system for {@code file:} paths, unless the configuration names another. */
    public static Configuration configure(Configuration conf) {
        if (conf.get(KEY) == null) conf.set(KEY, NioLocalFileSystem.class.getName());
        return conf;
    }

    static final class Raw extends RawLocalFileSystem {
        @Override
        public void setPermission(Path p, FsPermission permission) throws IOException {
            // the native call where Hadoop has it; the sticky bit, which java.nio cannot set, through Hadoop's chmod
            if (NativeIO.isAvailable() || permission.getStickyBit()) {
                super.setPermission(p, permission);
                return;
            }
            Files.setPosixFilePermissions(pathToFile(p).toPath(), posix(permission.toShort()));
        }

        /** The nine permission bits of a mode. */
        static Set<PosixFilePermission> posix(int mode) {
            Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
            PosixFilePermission[] bits = { // from 0400 down to 0001
                PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE,
                PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
                PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE
            };
            for (int i = 0; i < 9; i++) if ((mode & (0400 >> i)) != 0) s.add(bits[i]);
            return s;
        }
    }
}
