package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// deployDir is the repository's deploy directory, from cmd/copydesk.
const deployDir = "../../deploy"

// knownEnv returns every environment variable the configuration reads:
// those loadConfig asks for (COPYDESK_CONFIG, every COPYDESK_* setting, the
// providers' SDK variables), recorded as it asks.
func knownEnv(t *testing.T) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	for _, value := range []func(string) string{
		func(string) string { return "" },
		// With keys set, the providers' base URLs are read too.
		func(k string) string {
			if strings.HasSuffix(k, "_API_KEY") {
				return "k"
			}
			return ""
		},
	} {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		if _, err := loadConfig(fs, nil, func(k string) string { seen[k] = true; return value(k) }, bindStoreFlags); err != nil {
			t.Fatalf("loadConfig: %v", err)
		}
	}
	return seen
}

// mustLoadEnv loads the configuration as serve would from env (after the
// manifests' ${…} placeholders are filled in) and fails on any error.
func mustLoadEnv(t *testing.T, what string, env map[string]string) Config {
	t.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg, err := loadConfig(fs, nil, func(k string) string { return env[k] }, bindStoreFlags)
	if err != nil {
		t.Fatalf("%s: the configuration does not load: %v", what, err)
	}
	return cfg
}

// interpolation matches compose's ${NAME}, ${NAME:-default} and
// ${NAME:?message}.
var interpolation = regexp.MustCompile(`\$\{([A-Z0-9_]+)(?::?([-?])([^}]*))?\}`)

// fillIn replaces compose placeholders by their default, or by a stand-in
// for required ones.
func fillIn(s string) string {
	return interpolation.ReplaceAllStringFunc(s, func(m string) string {
		g := interpolation.FindStringSubmatch(m)
		if g[2] == "-" {
			return g[3]
		}
		return "standin"
	})
}

// portOf returns the port of a host:port address.
func portOf(t *testing.T, addr string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("%q is not host:port: %v", addr, err)
	}
	return port
}

// TestComposeFile checks deploy/compose.yaml: three Copydesk services with
// only environment variables the configuration reads, a configuration that
// loads in the scale-out mode (PostgreSQL and Redis), and the port of
// COPYDESK_ADDR wherever the instances are reached (expose, HAProxy's
// servers, Prometheus's targets); the load balancer checks /readyz and
// Prometheus loads the shipped rules and Grafana the shipped dashboard.
func TestComposeFile(t *testing.T) {
	t.Parallel()
	known := knownEnv(t)
	b, err := os.ReadFile(filepath.Join(deployDir, "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Environment map[string]string `yaml:"environment"`
			Expose      []string          `yaml:"expose"`
			Ports       []string          `yaml:"ports"`
			Volumes     []string          `yaml:"volumes"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	var instances []string
	port := ""
	for name, svc := range doc.Services {
		if !strings.HasPrefix(svc.Image, "copydesk:") {
			continue
		}
		instances = append(instances, name)
		env := map[string]string{}
		for k, v := range svc.Environment {
			if !known[k] {
				t.Errorf("%s: environment variable %s is not read by the configuration", name, k)
			}
			env[k] = fillIn(v)
		}
		cfg := mustLoadEnv(t, name, env)
		if cfg.embedded() || cfg.RedisURL == "" || len(cfg.Access.JWTKeys) == 0 {
			t.Errorf("%s: want the scale-out mode (database_url, redis_url) with shared JWT keys, got database %q redis %q", name, cfg.DatabaseURL, cfg.RedisURL)
		}
		port = portOf(t, cfg.Addr)
		if !slices.Equal(svc.Expose, []string{port}) {
			t.Errorf("%s: expose %v, want the port of COPYDESK_ADDR %s", name, svc.Expose, port)
		}
	}
	slices.Sort(instances)
	if want := []string{"copydesk-1", "copydesk-2", "copydesk-3"}; !slices.Equal(instances, want) {
		t.Fatalf("Copydesk services: got %v, want %v", instances, want)
	}
	for _, dep := range []string{"postgres", "redis", "lb", "prometheus", "grafana"} {
		if _, ok := doc.Services[dep]; !ok {
			t.Errorf("service %s is missing", dep)
		}
	}

	haproxy, err := os.ReadFile(filepath.Join(deployDir, "haproxy", "haproxy.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	servers := regexp.MustCompile(`(?m)^\s*server (\S+) (\S+)`).FindAllStringSubmatch(string(haproxy), -1)
	var backends []string
	for _, s := range servers {
		backends = append(backends, s[1])
		if got := portOf(t, s[2]); got != port {
			t.Errorf("haproxy server %s: port %s, want %s", s[1], got, port)
		}
	}
	if !slices.Equal(backends, instances) {
		t.Errorf("haproxy servers %v, want %v", backends, instances)
	}
	if !strings.Contains(string(haproxy), "option httpchk GET /readyz") {
		t.Error("haproxy does not check /readyz")
	}

	var prom struct {
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			MetricsPath   string `yaml:"metrics_path"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	pb, err := os.ReadFile(filepath.Join(deployDir, "prometheus", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(pb, &prom); err != nil {
		t.Fatalf("prometheus.yml: %v", err)
	}
	var targets []string
	for _, sc := range prom.ScrapeConfigs {
		if sc.MetricsPath != "/metrics" {
			t.Errorf("prometheus metrics_path %q, want /metrics", sc.MetricsPath)
		}
		for _, st := range sc.StaticConfigs {
			for _, target := range st.Targets {
				host, p, _ := net.SplitHostPort(target)
				targets = append(targets, host)
				if p != port {
					t.Errorf("prometheus target %s: port %s, want %s", target, p, port)
				}
			}
		}
	}
	if !slices.Equal(targets, instances) {
		t.Errorf("prometheus targets %v, want %v", targets, instances)
	}
	mounts := strings.Join(doc.Services["prometheus"].Volumes, " ") + " " + strings.Join(doc.Services["grafana"].Volumes, " ")
	for _, want := range []string{"./prometheus/alerts.yml:" + prom.RuleFiles[0], "./grafana/copydesk.json:"} {
		if !strings.Contains(mounts, want) {
			t.Errorf("compose mounts %q, want %s (the shipped rules and dashboard)", mounts, want)
		}
	}
}

// k8sProbe is an HTTP probe.
type k8sProbe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

// k8sObject is the part of a Kubernetes manifest the test reads.
type k8sObject struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
	Spec       struct {
		Ports []struct {
			Port       int    `yaml:"port"`
			TargetPort string `yaml:"targetPort"`
		} `yaml:"ports"`
		Template struct {
			Spec struct {
				Containers []struct {
					Args  []string `yaml:"args"`
					Ports []struct {
						Name          string `yaml:"name"`
						ContainerPort int    `yaml:"containerPort"`
					} `yaml:"ports"`
					Env []struct {
						Name  string `yaml:"name"`
						Value string `yaml:"value"`
					} `yaml:"env"`
					EnvFrom []struct {
						ConfigMapRef *struct{ Name string } `yaml:"configMapRef"`
						SecretRef    *struct{ Name string } `yaml:"secretRef"`
					} `yaml:"envFrom"`
					VolumeMounts []struct {
						Name      string `yaml:"name"`
						MountPath string `yaml:"mountPath"`
					} `yaml:"volumeMounts"`
					ReadinessProbe k8sProbe `yaml:"readinessProbe"`
					LivenessProbe  k8sProbe `yaml:"livenessProbe"`
				} `yaml:"containers"`
				Volumes []struct {
					Name      string                 `yaml:"name"`
					ConfigMap *struct{ Name string } `yaml:"configMap"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

// TestKubernetesManifests checks deploy/k8s: every manifest of the
// kustomization is there; the Deployment's environment (its ConfigMap and
// Secret) holds only variables the configuration reads and loads, with
// the config file the ConfigMap mounts, in the scale-out mode; the
// container port is COPYDESK_ADDR's and is the one the probes (readiness
// /readyz, liveness /healthz) and the Service use; a PodDisruptionBudget
// exists.
func TestKubernetesManifests(t *testing.T) {
	t.Parallel()
	known := knownEnv(t)
	dir := filepath.Join(deployDir, "k8s")
	kb, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var kust struct {
		Resources []string `yaml:"resources"`
	}
	if err := yaml.Unmarshal(kb, &kust); err != nil {
		t.Fatal(err)
	}
	objects := map[string]k8sObject{} // kind/name
	for _, file := range kust.Resources {
		f, err := os.Open(filepath.Join(dir, file))
		if err != nil {
			t.Fatalf("kustomization resource: %v", err)
		}
		dec := yaml.NewDecoder(bufio.NewReader(f))
		for {
			var o k8sObject
			if err := dec.Decode(&o); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			objects[o.Kind+"/"+o.Metadata.Name] = o
		}
		f.Close()
	}
	dep, ok := objects["Deployment/copydesk"]
	if !ok || len(dep.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("want one Deployment copydesk with one container; have %d objects", len(objects))
	}
	c := dep.Spec.Template.Spec.Containers[0]
	if !slices.Equal(c.Args, []string{"serve"}) {
		t.Errorf("container args %v, want [serve]", c.Args)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	for _, ef := range c.EnvFrom {
		var data map[string]string
		switch {
		case ef.ConfigMapRef != nil:
			o, ok := objects["ConfigMap/"+ef.ConfigMapRef.Name]
			if !ok {
				t.Fatalf("envFrom names ConfigMap %s, which is not in the kustomization", ef.ConfigMapRef.Name)
			}
			data = o.Data
		case ef.SecretRef != nil:
			o, ok := objects["Secret/"+ef.SecretRef.Name]
			if !ok {
				t.Fatalf("envFrom names Secret %s, which is not in the kustomization", ef.SecretRef.Name)
			}
			data = o.StringData
		}
		for k, v := range data {
			env[k] = v
		}
	}
	for k := range env {
		if !known[k] {
			t.Errorf("environment variable %s is not read by the configuration", k)
		}
	}
	// The config file: the ConfigMap mounted where COPYDESK_CONFIG points.
	cfgDir, cfgName := filepath.Split(env["COPYDESK_CONFIG"])
	mounted := ""
	for _, vm := range c.VolumeMounts {
		if filepath.Clean(vm.MountPath) == filepath.Clean(cfgDir) {
			mounted = vm.Name
		}
	}
	var fileData string
	for _, v := range dep.Spec.Template.Spec.Volumes {
		if v.Name == mounted && v.ConfigMap != nil {
			fileData = objects["ConfigMap/"+v.ConfigMap.Name].Data[cfgName]
		}
	}
	if fileData == "" {
		t.Fatalf("COPYDESK_CONFIG %q is not a file of a mounted ConfigMap", env["COPYDESK_CONFIG"])
	}
	path := filepath.Join(t.TempDir(), cfgName)
	if err := os.WriteFile(path, []byte(fileData), 0o600); err != nil {
		t.Fatal(err)
	}
	env["COPYDESK_CONFIG"] = path
	cfg := mustLoadEnv(t, "deployment", env)
	if cfg.embedded() || cfg.RedisURL == "" || len(cfg.Access.JWTKeys) == 0 {
		t.Errorf("want the scale-out mode with shared JWT keys, got database %q redis %q", cfg.DatabaseURL, cfg.RedisURL)
	}
	if _, stop, err := buildModels(&cfg); err != nil {
		t.Errorf("the providers and routing of the config file do not build: %v", err)
	} else {
		_ = stop()
	}

	port, _ := strconv.Atoi(portOf(t, cfg.Addr))
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != port {
		t.Fatalf("container ports %+v, want one, COPYDESK_ADDR's %d", c.Ports, port)
	}
	named := c.Ports[0].Name
	for _, p := range []struct{ what, path, port, want string }{
		{"readiness", c.ReadinessProbe.HTTPGet.Path, c.ReadinessProbe.HTTPGet.Port, "/readyz"},
		{"liveness", c.LivenessProbe.HTTPGet.Path, c.LivenessProbe.HTTPGet.Port, "/healthz"},
	} {
		if p.path != p.want || p.port != named {
			t.Errorf("%s probe: GET %s on port %q, want %s on %q", p.what, p.path, p.port, p.want, named)
		}
	}
	svc, ok := objects["Service/copydesk"]
	if !ok || len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort != named {
		t.Errorf("Service copydesk: %+v, want one port with targetPort %q", svc.Spec.Ports, named)
	}
	if _, ok := objects["PodDisruptionBudget/copydesk"]; !ok {
		t.Error("no PodDisruptionBudget copydesk")
	}
}

// TestDockerfile: the image's environment is read by the configuration,
// it exposes COPYDESK_ADDR's port, builds without cgo, runs as a non-root
// user, and its HEALTHCHECK runs a subcommand that exists.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	known := knownEnv(t)
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	env := map[string]string{}
	var expose, user, health string
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "ENV":
			for _, kv := range f[1:] {
				k, v, _ := strings.Cut(kv, "=")
				env[k] = v
			}
		case "EXPOSE":
			expose = f[1]
		case "USER":
			user = f[1]
		case "HEALTHCHECK":
			health = line
		}
	}
	for k := range env {
		if !known[k] {
			t.Errorf("ENV %s is not read by the configuration", k)
		}
	}
	cfg := mustLoadEnv(t, "Dockerfile", env)
	if p := portOf(t, cfg.Addr); expose != p {
		t.Errorf("EXPOSE %q, want COPYDESK_ADDR's port %s", expose, p)
	}
	if user == "" || strings.HasPrefix(user, "0") || strings.HasPrefix(user, "root") {
		t.Errorf("USER %q, want a non-root user", user)
	}
	if !strings.Contains(text, "CGO_ENABLED=0") {
		t.Error("the build does not set CGO_ENABLED=0")
	}
	if !strings.Contains(health, `"/copydesk", "healthcheck"`) {
		t.Errorf("HEALTHCHECK %q, want /copydesk healthcheck", health)
	}
}

// TestHealthcheckCommand: copydesk healthcheck exits 0 while the server
// answers (/healthz and /readyz, a wildcard address asked on loopback), 1
// when nothing listens, 2 for a bad flag.
func TestHealthcheckCommand(t *testing.T) {
	t.Parallel()
	m := MustRunMain(t)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(m.HTTP.URL(), "http://"))
	env := map[string]string{"COPYDESK_ADDR": "0.0.0.0:" + port}
	getenv := func(k string) string { return env[k] }
	var out, errs strings.Builder
	for _, args := range [][]string{{"healthcheck"}, {"healthcheck", "--path", "/readyz"}} {
		if err := run(context.Background(), args, nil, &out, &errs, getenv); exitCode(err, &errs) != 0 {
			t.Errorf("%v: %v, want exit 0", args, err)
		}
	}
	if !strings.Contains(out.String(), `"status":"ok"`) || !strings.Contains(out.String(), `"status":"ready"`) {
		t.Errorf("output %q, want the /healthz and /readyz answers", out.String())
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	if err := run(context.Background(), []string{"healthcheck", "--addr", closed}, nil, io.Discard, io.Discard, getenv); exitCode(err, io.Discard) != 1 {
		t.Errorf("nothing listening: %v, want exit 1", err)
	}
	if err := run(context.Background(), []string{"healthcheck", "--path", "/metrics"}, nil, io.Discard, io.Discard, getenv); exitCode(err, io.Discard) != 2 {
		t.Errorf("--path /metrics: %v, want exit 2", err)
	}
}
