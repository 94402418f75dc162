// Lint: typescript-eslint's recommended type-aware rules plus Pulumi's rules that catch an Output
// inside a template literal.
import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";

export default tseslint.config(
  // cluster/ holds shell tools and plain JavaScript that runs inside its images, not the program.
  { ignores: ["bin/**", "node_modules/**", ".state/**", "scripts/*.js", "cluster/**/*.js", "eslint.config.mjs"] },
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: { parserOptions: { project: "./tsconfig.json", tsconfigRootDir: import.meta.dirname } },
    plugins: { "@pulumi": pulumi },
    rules: {
      "@pulumi/no-output-in-template-literal": "error",
      "@pulumi/no-output-instance-in-template-literal": "error",
      // Start-up code declares handles that a shutdown closure reads before they are assigned.
      "prefer-const": ["error", { ignoreReadBeforeAssign: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
    },
  },
);
