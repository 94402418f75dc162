// The backward-compatibility check of pending migrations: each statement kind the running release
// cannot survive, paired with the compatible way to make the same change, parsed by PostgreSQL's
// own parser (no database).
import { strict as assert } from "assert";
import { ALLOW_MARKER, allowsIncompatible, checkMigration, describeIncompatible, loadParser } from "../../components/migrate/compatibility";

const check = (sql: string) => checkMigration({ name: "002_change", file: "migrations/002_change.sql", sql });

describe("migrations: backward-compatibility check", function () {
  // Loading the WebAssembly parser takes well under a second; the bound is explicit, not mocha's default.
  this.timeout(20_000);
  before(() => loadParser());

  const pairs: [string, string, string, RegExp][] = [
    ["drop-table", "drop table items;", "create table items_archive (id int);", /drops a table the running release may still read or write/],
    ["drop-column", "alter table items drop column name;", "alter table items add column note text;", /drops column items\.name/],
    ["rename-column", "alter table items rename column name to title;", "alter table items add column title text;", /renames column items\.name to title: the running release still uses the old name/],
    ["rename-table", "alter table items rename to things;", "create view things as select * from items;", /renames table items to things/],
    ["add-column-not-null", "alter table items add column owner text not null;", "alter table items add column owner text not null default 'nobody';", /adds items\.owner NOT NULL without a DEFAULT/],
    ["alter-column-type", "alter table items alter column name type varchar(40);", "alter table items add column name40 varchar(40);", /changes the type of items\.name/],
  ];
  for (const [kind, refused, compatible, reason] of pairs) {
    it(`${kind}: refused, while ${JSON.stringify(compatible)} passes`, () => {
      const found = check(`-- Up Migration\n${refused}\n`);
      assert.equal(found.length, 1, JSON.stringify(found));
      assert.equal(found[0].kind, kind);
      assert.equal(found[0].file, "migrations/002_change.sql");
      assert.equal(found[0].statement, refused.replace(/;$/, ""));
      assert.match(found[0].reason, reason);
      assert.deepEqual(check(`-- Up Migration\n${compatible}\n`), []);
    });
  }

  it("finds every refused statement of a file, in order, among compatible ones", () => {
    const found = check(["create index items_name on items (name);", "alter table items add column a int, drop column b;", "insert into items (name) values ('x');", "drop table if exists old_items, older_items;"].join("\n"));
    assert.deepEqual(found.map((f) => f.kind), ["drop-column", "drop-table"]);
    assert.equal(found[0].statement, "alter table items add column a int, drop column b");
  });

  it("a NOT NULL column filled by its type or an identity is compatible; a primary key without a default is not", () => {
    assert.deepEqual(check("alter table items add column seq bigserial not null;"), []);
    assert.deepEqual(check("alter table items add column n int generated always as identity not null;"), []);
    assert.deepEqual(check("alter table items add column k int primary key;").map((f) => f.kind), ["add-column-not-null"]);
  });

  it("SQL the parser refuses is refused too, with its error", () => {
    const found = check("alter tabel items add column x int;");
    assert.equal(found[0].kind, "unparsable");
    assert.match(found[0].reason, /PostgreSQL's parser refuses it: syntax error at or near "tabel"/);
  });

  it(`the ${ALLOW_MARKER} marker line accepts a migration's refused statements; a mention elsewhere does not`, () => {
    assert.deepEqual(check(`-- Up Migration\n-- ${ALLOW_MARKER} items.legacy unused since v2.0.0\nalter table items drop column legacy;`), []);
    assert.equal(allowsIncompatible(`select '${ALLOW_MARKER}';`), false);
    assert.equal(check(`select '-- ${ALLOW_MARKER}'; alter table items drop column legacy;`).length, 1);
  });

  it("the message names the file, quotes the statement, gives the reason and both ways to allow it", () => {
    const text = describeIncompatible(check("alter table items drop column name;"));
    assert.match(text, /^1 statement the running release cannot survive \(nothing was applied\):/);
    assert.match(text, /- migrations\/002_change\.sql: "alter table items drop column name": drops column items\.name/);
    assert.match(text, new RegExp(`-- ${ALLOW_MARKER} <why>`));
    assert.match(text, /--allow-incompatible \(deploy: migrations\.allowIncompatible\)/);
  });
});
