// The provider plugin's entry point. The module zip ships schema.json and terraform-mapping.json
// but not the minified, versioned *-embed.json files upstream embeds; the build script makes them
// with ./embedgen in a staging copy of this folder, so the repository never holds the 8 MB of JSON.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var schema []byte

//go:embed terraform-mapping-embed.json
var mapping []byte

func main() { provider.Serve("kubernetes", version.Version, schema, mapping) }
