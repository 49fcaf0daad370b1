// Package sdk is what a provider author imports to write a berth provider:
// a plugin executable that manages one kind of object (DNS records, entries
// of an internal service registry, ...) for berth's plan and apply.
//
// A provider declares its schemas as Go values and its behaviour as Go
// functions over plain structs. The SDK turns that into a
// providers.Interface: it validates configuration against the schemas,
// computes plans, dispatches applies to Create, Update and Delete, batches
// reads, marks sensitive values and honours Stop. Serve runs it as a plugin
// process:
//
//	type Record struct {
//		Name   string   `cty:"name"`
//		TTL    int64    `cty:"ttl"`
//		Values []string `cty:"values"`
//		ID     string   `cty:"id"`
//	}
//
//	func main() {
//		var api *Client // built by Configure, used by the resource functions
//		sdk.Serve(&sdk.Provider[Config]{
//			Version: "1.0.0",
//			Schema:  sdk.Schema{Attributes: map[string]sdk.Attribute{
//				"endpoint": {Type: cty.String, Required: true},
//			}},
//			Configure: func(ctx context.Context, c Config) error {
//				api = NewClient(c.Endpoint)
//				return nil
//			},
//			Resources: map[string]sdk.ResourceType{
//				"record": &sdk.Resource[Record]{
//					Schema: sdk.Schema{Attributes: map[string]sdk.Attribute{
//						"name":   {Type: cty.String, Required: true, ForceNew: true},
//						"ttl":    {Type: cty.Number, Optional: true, Default: cty.NumberIntVal(300)},
//						"values": {Type: cty.List(cty.String), Required: true},
//						"id":     {Type: cty.String, Computed: true},
//					}},
//					Create: func(ctx context.Context, r Record) (*Record, error) { ... },
//					Read:   func(ctx context.Context, r Record) (*Record, error) { ... },
//					Update: func(ctx context.Context, prior, r Record) (*Record, error) { ... },
//					Delete: func(ctx context.Context, r Record) error { ... },
//				},
//			},
//		})
//	}
//
// # Semantics
//
// Plans. Unless a Resource has a Plan function, its plan is the
// configuration with defaults filled in; computed attributes are unknown on
// create and keep their prior values on update; a change to a ForceNew
// attribute is a replacement, planned like a create. A Plan function gets
// that default plan to adjust (see Plan).
//
// Applies. A null planned state is a Delete, a null prior state a Create,
// anything else an Update (or, for a change planned with a Rollout, one
// ApplyStep per wave). Functions returning (*T, error) report partial
// state: a non-nil *T alongside an error is recorded as what exists.
// Progress events reach berth through Emit and Progress.
//
// Idempotent creates. Before a create berth records its intent with a key
// unique to that operation; Create reads it with IdempotencyKey(ctx) and
// stores it on the object it makes (a label, a tag). A resource with
// Lookup, which finds the object carrying a key, says LookupByKey in its
// schema, and berth recovers the object of a create it was killed during;
// without Lookup it reports such a create as a possible orphan. Lookups of
// a batch run concurrently, like reads.
//
// Reads. berth refreshes objects in batches; each object is passed to Read
// (concurrently, see Provider.ReadParallelism) unless the resource has a
// ReadBatch. Read returns ErrNotFound for an object that no longer exists.
//
// Values. Null and unknown values decode to Go zero values (see Decode).
// For Optional attributes without Default, a non-pointer field's zero value
// encodes as null: use a pointer field where "" or 0 must be kept apart
// from unset.
//
// Sensitive values. Attributes declared Sensitive are marked with
// providers.SensitiveMark in everything the SDK returns; values that arrived
// marked (a sensitive variable in the configuration) stay marked in the
// planned and new state.
//
// Errors. Functions return plain errors, which become error diagnostics
// naming the operation; return an *hcl.Diagnostic (AttributeError) or
// hcl.Diagnostics to control the message and point at an attribute.
//
// Stop and cancellation. The context passed to every function is cancelled
// when berth cancels the call or calls Stop (on Ctrl-C): long operations
// should watch it and return what they have.
//
// Panics. The SDK does not recover panics in provider code. A panic ends
// the plugin process, and berth reports "provider X crashed during <call>"
// with the panic and its stack, and keeps the state it had: a crash is a bug
// to be fixed, not an error to be handled, and the stack is what fixes it.
package sdk
