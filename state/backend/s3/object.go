package s3

import (
	"bytes"
	"context"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	s3api "github.com/aws/aws-sdk-go-v2/service/s3"
)

// object is an object as read.
type object struct {
	data []byte
	etag string
	// modified is when it was last written, and now when it was read,
	// both by the server's clock; zero when the server did not say.
	modified, now time.Time
}

// getObject reads the object at key; found is false when there is none.
func (b *S3) getObject(ctx context.Context, key string) (obj object, found bool, err error) {
	api, err := b.client.get(ctx)
	if err != nil {
		return obj, false, err
	}
	out, err := api.GetObject(ctx, &s3api.GetObjectInput{Bucket: aws.String(b.cfg.Bucket), Key: aws.String(key)})
	if notFound(err) {
		return obj, false, nil
	}
	if err != nil {
		return obj, false, err
	}
	defer out.Body.Close()
	obj.data, err = io.ReadAll(out.Body)
	if err != nil {
		return obj, false, err
	}
	obj.etag = aws.ToString(out.ETag)
	obj.modified = aws.ToTime(out.LastModified)
	obj.now, _ = awsmiddleware.GetServerTime(out.ResultMetadata)
	return obj, true, nil
}

// precondition is what a write requires of the object it replaces: every
// write is conditional, so that two writers never overwrite each other
// unknowingly. The zero value requires that there is no object
// (If-None-Match: *); ifMatch that the object has that ETag (If-Match).
type precondition struct {
	ifMatch string
}

// absent requires that no object exists.
var absent = precondition{}

// putObject writes data at key if pre holds, and returns the new ETag. A
// refusal is an error for which conditionFailed is true.
func (b *S3) putObject(ctx context.Context, key string, data []byte, pre precondition) (string, error) {
	api, err := b.client.get(ctx)
	if err != nil {
		return "", err
	}
	in := &s3api.PutObjectInput{
		Bucket:        aws.String(b.cfg.Bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
	}
	if pre.ifMatch != "" {
		in.IfMatch = aws.String(pre.ifMatch)
	} else {
		in.IfNoneMatch = aws.String("*")
	}
	out, err := api.PutObject(ctx, in)
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ETag), nil
}
