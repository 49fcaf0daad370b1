//go:build integration

package s3

import (
	"os"
	"testing"
)

// testServer returns the settings of the server of scripts/testenv/s3.sh
// (make integration starts it). The credentials come from the standard
// chain: the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY the script's env
// prints.
func testServer(t *testing.T) Config {
	t.Helper()
	ep := os.Getenv("BERTH_TEST_S3_ENDPOINT")
	if ep == "" {
		t.Fatal("BERTH_TEST_S3_ENDPOINT is not set: start the server with scripts/testenv/s3.sh start and eval \"$(scripts/testenv/s3.sh env)\" (make integration does both)")
	}
	return Config{Endpoint: ep, UsePathStyle: true, Region: os.Getenv("AWS_REGION")}
}
