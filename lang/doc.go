// Package lang turns a directory of *.berth.hcl / *.berth.json files into
// a typed configuration, and evaluates it: variables, expressions,
// functions, references and the built-in schemas and rules of the domain
// blocks (app, probe, cluster, registry, scaling_policy, load_balancer).
//
// Entry points: LoadDir (parse and decode the block structure), Validate
// (everything `berth validate` checks, with no variable values, providers
// or network), CollectVariables (-var, -var-file, *.auto.vars.hcl,
// BERTH_VAR_*), Scope (the evaluator the engine uses, fed by a Data
// implementation), Config.Dependencies (the graph's nodes and edges) and
// DecodeApp (a provider's typed view of an app's Config value).
//
// Decisions:
//
//   - hcl.Diagnostics is the only error type; every diagnostic about the
//     configuration has a Subject range. LoadDir and Validate return them
//     sorted by file, line and column.
//   - The domain schemas are lang's own BlockSchema (attributes with types,
//     defaults and per-attribute checks; nested blocks; a whole-block
//     Check). Decoding yields a cty object with every default applied, so
//     the value a provider receives is complete. BlockSchema.ProviderBlock
//     converts to the protocol's providers.Block, SchemaFromProvider the
//     other way, so resource blocks decode through the same code.
//   - Labelled nested blocks (port "http", host "edge-1", metric "cpu")
//     decode as lists of objects, in source order, with the label as the
//     "name" attribute.
//   - readiness/liveness/startup are attributes of the probe object type
//     that may also be written as an inline block of the same name; a
//     probe reference evaluates to the probe's decoded object, defaults
//     included. In JSON files an object value is the inline block and a
//     string ("${probe.health}") the reference.
//   - Ports in probes are strings: a port name, or a number (8080 converts
//     to "8080"). CPU is a quantity string (2 converts to "2"; "500m").
//   - Computed attributes (load_balancer.dns_name, arn, zone_id;
//     app.registry, filled by the evaluator from the image) are null in a
//     configuration value and unknown when referenced before apply.
//   - cluster, registry and probe evaluate to objects ("name" and, for a
//     cluster, "kind" added); they are configuration, not managed objects.
//   - Validate gives variables unknown values of their declared type, as
//     terraform validate does, and resource and data blocks (whose schemas
//     belong to providers) the dynamic unknown value; domain blocks with
//     count are an unknown list of their schema's object type, with
//     for_each an unknown map of it (so app.web[0].imgae is still caught),
//     the others are their decoded configuration with computed attributes
//     unknown.
//   - An attribute of a block with count or for_each must be reached
//     through an instance key (app.web[0].image): app.web.image is
//     "Missing resource instance key", as in Terraform, and app = app.web
//     where one app is required is an invalid reference.
//   - depends_on takes only resource-like blocks (or one instance of
//     them); ignore_changes entries of domain blocks are checked against
//     their schemas (provider schemas are not available to Validate).
//   - index(list, value) is Terraform's (the position of value), not
//     cty's element lookup.
//   - References whose root is not a keyword and contains "_" are resource
//     references (TYPE.NAME); any other unknown root is an error with a
//     suggestion.
//   - load_balancer's provider argument defaults to the built-in provider
//     registered as the default for load balancers (providers/builtin);
//     without one, the argument is required.
//   - Undeclared variables, as in Terraform: an error from -var, a warning
//     from -var-file and *.auto.vars.hcl, ignored from the environment
//     (which is shared). -var and BERTH_VAR_ values of variables of a
//     primitive type are strings converted to it (BERTH_VAR_n=abc for a
//     number: "a number is required").
//   - No diagnostic shows a value carrying the Sensitive mark: domain
//     checks format values with shown(), functions are wrapped so that an
//     error quoting a sensitive argument is replaced (redactingFunc).
//   - Input is scanned before parsing (CheckNesting): more than
//     MaxNesting levels of ( [ { or ${ is an error, since the parsers'
//     recursion would overflow the stack, which Go cannot recover.
//     -var-file paths are relative to the configuration directory
//     (Terraform's -chdir behaves the same).
package lang
