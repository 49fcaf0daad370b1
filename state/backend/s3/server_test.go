//go:build !integration

package s3

import (
	"net/http/httptest"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// testServer starts an in-memory S3 server (gofakes3, as the test server
// of scripts/testenv/s3.sh) for the test, and returns the settings that
// reach it. With -tags integration the tests use that server instead.
func testServer(t *testing.T) Config {
	t.Helper()
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	return Config{
		Endpoint:     srv.URL,
		UsePathStyle: true,
		Region:       "us-east-1",
		AccessKey:    "berth-test",
		SecretKey:    "berth-test-secret",
	}
}
