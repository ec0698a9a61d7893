// Package providertest holds what tests need of the simulated provider
// (package simulator): NewTestServer starts one on httptest and sets
// Server.URL, the names tests use are re-exported here, RunConformance(t,
// Harness{…}) runs the suite every provider adapter passes, and
// BenchComplete and BenchStream measure an adapter against a zero-latency
// fake. Production code uses package simulator, which links no test
// packages.
package providertest
