-- The six tables of a sweep for spark-sql / spark-shell users (gradsweep runs this file too, after setting
-- gradsweep.tables to its own catalog: SqlViews.registerTableViews). They are Apache Iceberg tables: start Spark with the Iceberg runtime and a catalog that finds them, e.g. the
-- output directory as a Hadoop catalog (jobs/sql/README.md):
--   --packages org.apache.iceberg:iceberg-spark-runtime-3.5_2.12:1.10.0
--   --conf spark.sql.catalog.gs=org.apache.iceberg.spark.SparkCatalog --conf spark.sql.catalog.gs.type=hadoop
--   --conf spark.sql.catalog.gs.warehouse=/path/to/results/quick
-- then SET gradsweep.tables=gs (a catalog with namespaces: SET gradsweep.tables=<catalog>.<namespace>).
-- A batch's steps, params, layers, timesteps and attention rows are committed just before its runs rows: the views keep
-- committed runs only. (An output of a gradsweep before the attention table has none: gradsweep registers an empty view.)
CREATE OR REPLACE TEMPORARY VIEW runs AS SELECT * FROM ${gradsweep.tables}.runs;
CREATE OR REPLACE TEMPORARY VIEW steps AS SELECT * FROM ${gradsweep.tables}.steps WHERE run_id IN (SELECT run_id FROM runs);
CREATE OR REPLACE TEMPORARY VIEW params AS SELECT * FROM ${gradsweep.tables}.params WHERE run_id IN (SELECT run_id FROM runs);
CREATE OR REPLACE TEMPORARY VIEW layers AS SELECT * FROM ${gradsweep.tables}.layers WHERE run_id IN (SELECT run_id FROM runs);
CREATE OR REPLACE TEMPORARY VIEW timesteps AS SELECT * FROM ${gradsweep.tables}.timesteps WHERE run_id IN (SELECT run_id FROM runs);
CREATE OR REPLACE TEMPORARY VIEW attention AS SELECT * FROM ${gradsweep.tables}.attention WHERE run_id IN (SELECT run_id FROM runs);
