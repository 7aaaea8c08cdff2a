import Testing

@testable import VigilDecode

@Suite("SQL statement classes")
struct StatementClassTests {
    @Test(
        "the leading keyword decides the class, past comments, parentheses and CTEs",
        arguments: [
            ("SELECT 1", "select"),
            ("  -- note\n/* c */ (select * from t)", "select"),
            ("insert into t values (1)", "insert"),
            ("REPLACE INTO t VALUES (1)", "insert"),
            ("update t set a = 1", "update"),
            ("DELETE FROM t", "delete"),
            ("CREATE TABLE t (a int)", "ddl"),
            ("create or replace view v as select 1", "ddl"),
            ("CREATE USER bob IDENTIFIED BY 'x'", "dcl"),
            ("ALTER ROLE alice WITH SUPERUSER", "dcl"),
            ("GRANT SELECT ON t TO bob", "dcl"),
            ("SET PASSWORD FOR 'bob'@'%' = 'x'", "dcl"),
            ("TRUNCATE audit_log", "ddl"),
            ("BEGIN", "tcl"),
            ("commit", "tcl"),
            ("COPY customers TO '/tmp/c.csv' WITH CSV", "export"),
            ("COPY (SELECT * FROM t WHERE a = 'TO') TO STDOUT", "export"),
            ("COPY customers (id, name) FROM STDIN", "copy"),
            ("\\copy customers to 'x.csv'", "export"),
            ("LOAD DATA INFILE '/tmp/x' INTO TABLE t", "copy"),
            ("SELECT * INTO OUTFILE '/tmp/x' FROM t", "export"),
            ("select 'into outfile' from t", "select"),
            ("WITH a AS (SELECT 1), b (x) AS NOT MATERIALIZED (SELECT ')') DELETE FROM t", "delete"),
            ("with recursive r as (select 1 union all select n + 1 from r) insert into t select * from r", "insert"),
            ("WITH broken", "other"),
            ("SHOW TABLES", "other"),
            ("", "other"),
            ("(((((", "other"),
        ])
    func classify(text: String, expected: String) {
        #expect(StatementClass(text).rawValue == expected)
    }
}
