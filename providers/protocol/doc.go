// Package protocol holds berth's versioned provider plugin protocol: the
// protobuf service in provider.proto and the Go code generated from it
// (`make generate`; the generated files are committed). Package
// providers/plugin translates between these messages and the values of
// package providers; nothing else should need to import this package.
package protocol
