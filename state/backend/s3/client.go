package s3

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	s3api "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// client makes the S3 client of a configuration once, at its first use:
// loading the AWS configuration reads files and the environment, which
// opening a backend (berth validate, the language) should not.
type client struct {
	cfg Config

	mu  sync.Mutex
	api *s3api.Client
}

func (c *client) get(ctx context.Context) (*s3api.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.api != nil {
		return c.api, nil
	}
	var opts []func(*config.LoadOptions) error
	if c.cfg.Region != "" {
		opts = append(opts, config.WithRegion(c.cfg.Region))
	}
	if c.cfg.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(c.cfg.Profile))
	}
	if c.cfg.AccessKey != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(c.cfg.AccessKey, c.cfg.SecretKey, "")))
	}
	if c.cfg.Endpoint != "" {
		// Servers other than AWS often reject the checksums the SDK adds
		// by default; send them only where the operation requires one.
		opts = append(opts,
			config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
			config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired))
	}
	ac, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("the s3 backend's AWS configuration: %w", err)
	}
	if ac.Region == "" {
		if c.cfg.Endpoint == "" {
			return nil, errors.New("the s3 backend needs the bucket's region: set region in the backend block, or AWS_REGION")
		}
		ac.Region = "us-east-1" // what S3-compatible servers take when they ignore regions
	}
	c.api = s3api.NewFromConfig(ac, func(o *s3api.Options) {
		o.UsePathStyle = c.cfg.UsePathStyle
		if c.cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.cfg.Endpoint)
		}
	})
	return c.api, nil
}

// statusOf is the HTTP status of a failed request, 0 when it got no
// response.
func statusOf(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// errorCode is S3's error code of a failed request ("NoSuchBucket").
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// conditionFailed reports whether a conditional request was refused: its
// If-Match or If-None-Match did not hold (412), or AWS refused it because
// another conditional write to the object was in flight (409
// ConditionalRequestConflict), in which case the caller reads again too.
func conditionFailed(err error) bool {
	s := statusOf(err)
	return s == http.StatusPreconditionFailed || s == http.StatusConflict && errorCode(err) == "ConditionalRequestConflict"
}

// notFound reports whether the object does not exist; a missing bucket
// is an error of its own.
func notFound(err error) bool {
	return statusOf(err) == http.StatusNotFound && errorCode(err) != "NoSuchBucket"
}
