package check

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// kinesisCall finds the Kinesis API calls the code makes: each builds the
// call's input type.
var kinesisCall = regexp.MustCompile(`\bkinesis\.([A-Z][A-Za-z]+)Input\b`)

// kinesisActions returns kinesis:CALL for every Kinesis API call the
// product code makes (internal/ without the tests and the test servers).
func kinesisActions(t *testing.T) []string {
	t.Helper()
	set := map[string]bool{}
	err := filepath.WalkDir(filepath.Join(repoRoot, "internal"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testenv" || d.Name() == "bench") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range kinesisCall.FindAllStringSubmatch(string(data), -1) {
			set["kinesis:"+m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	actions := make([]string, 0, len(set))
	for a := range set {
		actions = append(actions, a)
	}
	slices.Sort(actions)
	return actions
}

// policy is an IAM policy document.
type policy struct {
	Version   string
	Statement []struct {
		Sid       string
		Effect    string
		Action    []string
		Resource  any
		Condition map[string]map[string]any
	}
}

func readPolicy(t *testing.T, name string) policy {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "deploy/aws", name))
	if err != nil {
		t.Fatal(err)
	}
	var p policy
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if p.Version != "2012-10-17" {
		t.Errorf("%s: Version %q, want 2012-10-17", name, p.Version)
	}
	for _, s := range p.Statement {
		if s.Effect != "Allow" || len(s.Action) == 0 || s.Resource == nil {
			t.Errorf("%s: statement %s needs Effect Allow, actions and resources", name, s.Sid)
		}
		resources, _ := s.Resource.([]any)
		if r, ok := s.Resource.(string); ok {
			resources = []any{r}
		}
		for _, r := range resources {
			if r, _ := r.(string); !strings.HasPrefix(r, "arn:aws:") || r == "*" {
				t.Errorf("%s: statement %s: resource %v is not an ARN", name, s.Sid, r)
			}
		}
	}
	return p
}

func TestIAMPolicyHoldsTheCallsTheCodeMakes(t *testing.T) {
	want := kinesisActions(t)
	if !slices.Contains(want, "kinesis:PutRecords") {
		t.Fatalf("the scan of internal/ found no PutRecords call (%v); it no longer matches the code", want)
	}
	p := readPolicy(t, "tributary-policy.json")
	var kinesisGot []string
	for _, s := range p.Statement {
		for _, a := range s.Action {
			switch {
			case strings.HasPrefix(a, "kinesis:"):
				kinesisGot = append(kinesisGot, a)
			case a == "kms:GenerateDataKey":
				// Kinesis asks KMS for data keys of encrypted streams on the
				// producer's behalf, and only through Kinesis.
				if s.Condition["StringEquals"]["kms:ViaService"] == nil {
					t.Errorf("statement %s: kms:GenerateDataKey without a kms:ViaService condition", s.Sid)
				}
			case a == "rds-db:connect":
				// iam_auth: a token per connection, signed for this action.
				requireCode(t, "BuildAuthToken", a)
			case a == "secretsmanager:GetSecretValue":
				// password_secret.
				requireCode(t, "GetSecretValue", a)
			default:
				t.Errorf("statement %s: %s is no call Tributary makes", s.Sid, a)
			}
		}
	}
	slices.Sort(kinesisGot)
	if !slices.Equal(kinesisGot, want) {
		t.Errorf("the policy's Kinesis actions %v differ from the calls in internal/ %v", kinesisGot, want)
	}
}

func TestSecretReaderPolicy(t *testing.T) {
	p := readPolicy(t, "secret-reader-policy.json")
	for _, s := range p.Statement {
		if !slices.Equal(s.Action, []string{"secretsmanager:GetSecretValue"}) {
			t.Errorf("statement %s: %v, want only secretsmanager:GetSecretValue", s.Sid, s.Action)
		}
	}
}

// requireCode fails unless some Go file under internal/ names call, the
// code that needs action.
func requireCode(t *testing.T, call, action string) {
	t.Helper()
	found := false
	err := filepath.WalkDir(filepath.Join("..", "..", "internal"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		data, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(data), call) {
			found = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Errorf("the policy allows %s, but no code under internal/ calls %s", action, call)
	}
}
