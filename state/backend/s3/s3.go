// Package s3 is the state backend "s3": states kept as objects in an S3
// bucket (AWS, or any server that implements S3's conditional writes),
// every write guarded by the ETag last read, and a lock object that is a
// lease. docs/state.md describes the objects, the lock and what a server
// must support.
package s3

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/berth-sh/berth/providers"
	"github.com/berth-sh/berth/state/backend"
)

// Name is the backend's label: backend "s3" { bucket = "..." }.
const Name = "s3"

// Defaults of the optional settings.
const (
	DefaultKey                = "berth.state"
	DefaultWorkspaceKeyPrefix = "env:"
	DefaultLeaseDuration      = 20 * time.Second
)

// MinLeaseDuration is the shortest lease accepted: expiry is judged on
// the server's clock, whose headers have a resolution of a second.
const MinLeaseDuration = 2 * time.Second

func init() {
	backend.Register(backend.Spec{Name: Name, Schema: schema(), New: open})
}

func schema() *providers.Block {
	str := func(desc string) *providers.Attribute {
		return &providers.Attribute{Type: cty.String, Optional: true, Description: desc}
	}
	a := map[string]*providers.Attribute{
		"bucket":               str("the bucket holding the states (required)"),
		"key":                  str("the default workspace's state object"),
		"region":               str("the bucket's region; the AWS configuration's (AWS_REGION, the profile) when unset"),
		"endpoint":             str("the S3 server's URL, for a server other than AWS S3"),
		"use_path_style":       {Type: cty.Bool, Optional: true, Default: cty.False, Description: "address the bucket in the URL's path (http://host/bucket/key), as most S3-compatible servers need"},
		"profile":              str("the profile of the shared AWS configuration files to use"),
		"access_key":           {Type: cty.String, Optional: true, Sensitive: true, Description: "the access key ID; the standard credential chain when unset"},
		"secret_key":           {Type: cty.String, Optional: true, Sensitive: true, Description: "the secret access key, with access_key"},
		"workspace_key_prefix": str("the prefix of the other workspaces' state objects: PREFIX/WORKSPACE/KEY"),
		"lease_duration":       str("how long the lock outlives a berth that stopped renewing it (killed): a duration such as 20s"),
	}
	a["key"].Default = cty.StringVal(DefaultKey)
	a["workspace_key_prefix"].Default = cty.StringVal(DefaultWorkspaceKeyPrefix)
	a["lease_duration"].Default = cty.StringVal(DefaultLeaseDuration.String())
	return &providers.Block{Attributes: a}
}

// Config is the backend's configuration, decoded.
type Config struct {
	Bucket             string
	Key                string
	Region             string
	Endpoint           string
	UsePathStyle       bool
	Profile            string
	AccessKey          string
	SecretKey          string
	WorkspaceKeyPrefix string
	LeaseDuration      time.Duration
}

// String describes the configuration without its secret key.
func (c Config) String() string {
	return fmt.Sprintf("s3 bucket %q key %q endpoint %q", c.Bucket, c.Key, c.Endpoint)
}

// decodeConfig reads the backend block's body, applies the defaults and
// checks what New cannot do without.
func decodeConfig(config cty.Value) (Config, error) {
	c := Config{Key: DefaultKey, WorkspaceKeyPrefix: DefaultWorkspaceKeyPrefix, LeaseDuration: DefaultLeaseDuration}
	config, _ = config.UnmarkDeep()
	attr := func(name string) (cty.Value, bool) {
		if config.IsNull() || !config.IsKnown() || !config.Type().IsObjectType() || !config.Type().HasAttribute(name) {
			return cty.NilVal, false
		}
		v := config.GetAttr(name)
		return v, !v.IsNull() && v.IsKnown()
	}
	str := func(name string, to *string) {
		if v, ok := attr(name); ok && v.Type() == cty.String {
			*to = v.AsString()
		}
	}
	str("bucket", &c.Bucket)
	str("key", &c.Key)
	str("region", &c.Region)
	str("endpoint", &c.Endpoint)
	str("profile", &c.Profile)
	str("access_key", &c.AccessKey)
	str("secret_key", &c.SecretKey)
	str("workspace_key_prefix", &c.WorkspaceKeyPrefix)
	if v, ok := attr("use_path_style"); ok && v.Type() == cty.Bool {
		c.UsePathStyle = v.True()
	}
	if v, ok := attr("lease_duration"); ok && v.Type() == cty.String {
		d, err := time.ParseDuration(v.AsString())
		if err != nil {
			return c, fmt.Errorf("the s3 backend's lease_duration %q is not a duration (such as 20s or 1m): %w", v.AsString(), err)
		}
		c.LeaseDuration = d
	}
	return c, c.check()
}

// check says what is wrong with c, naming the setting.
func (c Config) check() error {
	switch {
	case c.Bucket == "":
		return errors.New(`the s3 backend needs a bucket: set bucket in the backend block, or give it to init with -backend-config bucket=NAME`)
	case c.Key == "" || strings.HasPrefix(c.Key, "/") || strings.HasSuffix(c.Key, "/"):
		return fmt.Errorf("the s3 backend's key %q must be an object name: not empty, not starting or ending with /", c.Key)
	case c.WorkspaceKeyPrefix == "" || strings.HasPrefix(c.WorkspaceKeyPrefix, "/") || strings.HasSuffix(c.WorkspaceKeyPrefix, "/"):
		return fmt.Errorf("the s3 backend's workspace_key_prefix %q must not be empty, nor start or end with /", c.WorkspaceKeyPrefix)
	case (c.AccessKey == "") != (c.SecretKey == ""):
		return errors.New("the s3 backend's access_key and secret_key go together: set both, or neither to use the standard credential chain")
	case c.LeaseDuration < MinLeaseDuration:
		return fmt.Errorf("the s3 backend's lease_duration %s is too short: at least %s", c.LeaseDuration, MinLeaseDuration)
	}
	return nil
}

// open is the registry's constructor: config is the decoded block. It
// does not connect: the first operation does, with its context.
func open(config cty.Value, _ string) (backend.Workspaces, error) {
	c, err := decodeConfig(config)
	if err != nil {
		return nil, err
	}
	return NewWorkspaces(c)
}
