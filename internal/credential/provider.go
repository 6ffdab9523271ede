package credential

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Provider hands out the password of one connection. It is safe for
// concurrent use.
type Provider struct {
	s Settings

	mu sync.Mutex
	// aws is the loaded AWS configuration (secrets, IAM), loaded once.
	aws *aws.Config
	// secret is the cached secret value; valid says it is set.
	secret string
	valid  bool
}

// New returns the provider of s.
func New(s Settings) *Provider { return &Provider{s: s} }

// Dynamic reports whether the password may change between connections,
// so it must be asked for at each one.
func (p *Provider) Dynamic() bool {
	return p.s.PasswordFile != "" || p.s.PasswordSecret != "" || p.s.IAMAuth
}

// IAM reports whether the password is an IAM token, which the server
// receives in clear text (mysql_clear_password).
func (p *Provider) IAM() bool { return p.s.IAMAuth }

// Password returns the password for a new connection.
func (p *Provider) Password(ctx context.Context) (string, error) {
	switch {
	case p.s.PasswordFile != "":
		pw, err := readPasswordFile(p.s.PasswordFile)
		if err != nil {
			return "", fmt.Errorf("%s: %w", p.s.Label, err)
		}
		return pw, nil
	case p.s.PasswordSecret != "":
		return p.secretPassword(ctx)
	case p.s.IAMAuth:
		return p.iamToken(ctx)
	}
	return p.s.Password, nil
}

// Refused tells the provider that the server refused its password (error
// 1045): a cached secret is read again at the next connection, so a
// rotated secret is picked up. It reports whether trying again may help.
func (p *Provider) Refused() bool {
	if p.s.PasswordSecret == "" {
		return p.s.PasswordFile != "" || p.s.IAMAuth
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.valid = false
	return true
}

// secretPassword returns the cached secret, reading it when not cached.
func (p *Provider) secretPassword(ctx context.Context) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.valid {
		return p.secret, nil
	}
	cfg, err := p.awsConfig(ctx)
	if err != nil {
		return "", err
	}
	out, err := secretsmanager.NewFromConfig(*cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(p.s.PasswordSecret)})
	if err != nil {
		return "", fmt.Errorf("%s: reading password_secret %s from AWS Secrets Manager (check the secret exists and the service's AWS identity may secretsmanager:GetSecretValue it): %w", p.s.Label, p.s.PasswordSecret, err)
	}
	if out.SecretString == nil {
		return "", fmt.Errorf("%s: password_secret %s holds binary data, not a string", p.s.Label, p.s.PasswordSecret)
	}
	pw, err := secretValue(*out.SecretString)
	if err != nil {
		return "", fmt.Errorf("%s: password_secret %s: %w", p.s.Label, p.s.PasswordSecret, err)
	}
	p.secret, p.valid = pw, true
	return pw, nil
}

// secretValue reads the password of a secret string: the "password" field
// of a JSON object (as RDS-managed secrets hold it) or the whole string.
func secretValue(s string) (string, error) {
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "{") {
		return t, nil
	}
	var v struct {
		Password *string `json:"password"`
	}
	if err := json.Unmarshal([]byte(t), &v); err != nil {
		return "", errors.New("the secret looks like JSON but does not parse") // never quote it
	}
	if v.Password == nil {
		return "", errors.New(`the secret is a JSON object without a "password" field`)
	}
	return *v.Password, nil
}

// iamToken signs a fresh IAM authentication token (valid 15 minutes) for
// the connection's endpoint and user.
func (p *Provider) iamToken(ctx context.Context) (string, error) {
	p.mu.Lock()
	cfg, err := p.awsConfig(ctx)
	p.mu.Unlock()
	if err != nil {
		return "", err
	}
	if cfg.Region == "" {
		return "", fmt.Errorf("%s: iam_auth needs the database's AWS region: set aws_region or AWS_REGION", p.s.Label)
	}
	endpoint := net.JoinHostPort(p.s.Host, strconv.Itoa(int(p.s.Port)))
	token, err := auth.BuildAuthToken(ctx, endpoint, cfg.Region, p.s.User, cfg.Credentials)
	if err != nil {
		return "", fmt.Errorf("%s: signing the IAM authentication token (check the service's AWS credentials): %w", p.s.Label, err)
	}
	return token, nil
}

// awsConfig loads the default AWS configuration (credential chain,
// region, endpoint overrides such as AWS_ENDPOINT_URL_SECRETS_MANAGER)
// once; the caller holds mu.
func (p *Provider) awsConfig(ctx context.Context) (*aws.Config, error) {
	if p.aws != nil {
		return p.aws, nil
	}
	var opts []func(*awsconfig.LoadOptions) error
	region := p.s.Region
	if region == "" && os.Getenv("AWS_REGION") == "" && os.Getenv("AWS_DEFAULT_REGION") == "" {
		region = secretRegion(p.s.PasswordSecret)
	}
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: loading the AWS configuration: %w", p.s.Label, err)
	}
	p.aws = &cfg
	return p.aws, nil
}
