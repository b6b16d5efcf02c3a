package dev.gradsweep.store;

import java.io.Serializable;
import org.apache.iceberg.DataFile;

/** A data file a task wrote for one table, described as Iceberg needs it (path, size, rows, column metrics). */
public record TaskFile(Table table, DataFile file) implements Serializable {}
