// embedgen writes the two files the provider embeds: the package schema with its "version" set,
// and the Terraform mapping, both minified. Usage: embedgen SRC_DIR OUT_DIR VERSION.
// Top-level keys are kept as raw JSON, so nothing in the schema is dropped or reinterpreted
// (json.Marshal compacts raw values, which is the minifying).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	if len(os.Args) != 4 {
		fail(fmt.Errorf("usage: embedgen SRC_DIR OUT_DIR VERSION"))
	}
	src, out, version := os.Args[1], os.Args[2], os.Args[3]
	ver, _ := json.Marshal(version)
	rewrite(filepath.Join(src, "schema.json"), filepath.Join(out, "schema-embed.json"), map[string]json.RawMessage{"version": ver})
	rewrite(filepath.Join(src, "terraform-mapping.json"), filepath.Join(out, "terraform-mapping-embed.json"), nil)
}

// rewrite reads a JSON object, overrides the given top-level keys and writes it back compacted.
func rewrite(from, to string, set map[string]json.RawMessage) {
	data, err := os.ReadFile(from)
	if err != nil {
		fail(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		fail(fmt.Errorf("%s: %w", from, err))
	}
	for k, v := range set {
		doc[k] = v
	}
	if data, err = json.Marshal(doc); err != nil {
		fail(fmt.Errorf("%s: %w", from, err))
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "embedgen:", err)
	os.Exit(1)
}
