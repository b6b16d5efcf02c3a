-- layer_stalls read from the table of the same name instead of computed (15_layer_stalls.sql documents the columns):
-- the executors compute its rows as they write each run (store/LayerStallRows.java), with the
-- gradsweep.frozen_update_ratio recorded in the table's properties. Use it in place of 15_layer_stalls.sql when that
-- property equals your gradsweep.frozen_update_ratio (SHOW TBLPROPERTIES ${gradsweep.tables}.layer_stalls); an output
-- of an older gradsweep has no such table, or one without the property, until `gradsweep compact` fills it.
CREATE OR REPLACE TEMPORARY VIEW layer_stalls AS
SELECT * FROM ${gradsweep.tables}.layer_stalls WHERE run_id IN (SELECT run_id FROM runs);
UNCACHE TABLE IF EXISTS layer_stalls;
CACHE LAZY TABLE layer_stalls;
