package dev.gradsweep.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file system gradsweep uses for file: paths gives files and directories the permissions Hadoop's would. */
class NioLocalFileSystemTest {
    @Test
    void permissionsAreHadoopsWithoutAChmodProcess(@TempDir java.nio.file.Path tmp) throws Exception {
        Configuration conf = NioLocalFileSystem.configure(new Configuration());
        try (FileSystem fs = FileSystem.newInstance(URI.create("file:///"), conf)) {
            assertInstanceOf(NioLocalFileSystem.class, fs);
            Path file = new Path(tmp.resolve("a.parquet").toUri());
            fs.create(file, true).close();
            FsPermission created = FsPermission.getFileDefault().applyUMask(FsPermission.getUMask(conf));
            assertEquals(created.toString(), posix(tmp.resolve("a.parquet")), "a new file: the default less the umask");
            fs.setPermission(file, new FsPermission((short) 0640));
            assertEquals("rw-r-----", posix(tmp.resolve("a.parquet")));
            fs.mkdirs(new Path(tmp.resolve("d").toUri()), new FsPermission((short) 0751));
            assertEquals("rwxr-x--x", posix(tmp.resolve("d")));
        }
        for (int mode = 0; mode < 01000; mode++)
            assertEquals(
                    new FsPermission((short) mode).toString(),
                    PosixFilePermissions.toString(NioLocalFileSystem.Raw.posix(mode)),
                    Integer.toOctalString(mode));
    }

    private static String posix(java.nio.file.Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }
}
