-- The four tables of a sweep for spark-sql / spark-shell users (gradsweep registers them itself, with the same
-- rule): only runs whose `runs` file exists are committed, the other tables are filtered to them.
-- Set the output directory first, e.g. SET gradsweep.in=/path/to/results/quick
CREATE OR REPLACE TEMPORARY VIEW runs USING parquet OPTIONS (path '${gradsweep.in}/runs');
CREATE OR REPLACE TEMPORARY VIEW steps_files USING parquet OPTIONS (path '${gradsweep.in}/steps');
CREATE OR REPLACE TEMPORARY VIEW params_files USING parquet OPTIONS (path '${gradsweep.in}/params');
CREATE OR REPLACE TEMPORARY VIEW layers_files USING parquet OPTIONS (path '${gradsweep.in}/layers');
CREATE OR REPLACE TEMPORARY VIEW steps AS SELECT * FROM steps_files WHERE run_id IN (SELECT run_id FROM runs);
CREATE OR REPLACE TEMPORARY VIEW params AS SELECT * FROM params_files WHERE run_id IN (SELECT run_id FROM runs);
CREATE OR REPLACE TEMPORARY VIEW layers AS SELECT * FROM layers_files WHERE run_id IN (SELECT run_id FROM runs);
