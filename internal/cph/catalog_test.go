package cph

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/api"
)

func TestDefaultCatalogValid(t *testing.T) {
	t.Parallel()
	require.NoError(t, DefaultCatalog().Validate())
}

// TestDefaultCatalogFromReference checks that the defaults hold every model of appendices A.2
// and A.3 and every example of 5.1.3, 5.1.4, 5.3.4 and 5.3.5.
func TestDefaultCatalogFromReference(t *testing.T) {
	t.Parallel()
	cat := DefaultCatalog()
	for _, name := range []string{
		"physical.rx1.xlarge", "physical.rx1.xlarge.cg", "physical.kg1.4xlarge.cp",
		"physical.kg1.4xlarge.cg", "physical.rx2.32xlarge.4", "physical.rx3.32xlarge.4",
	} {
		_, ok := cat.ServerModel(name)
		require.True(t, ok, name)
	}
	for _, name := range []string{
		"rc1.se", "rc1.plus", "rc2.se", "rc2.plus", "rc2.pro", "rc2.max", "rc2.pro_max",
		"rc3.se", "rc3.plus", "rc3.pro", "rc3.max", "rc3.pro_max",
		"rx1.cp.c60.d32.e1v1.qemu", "rx1.cp.c60.d10.e1v1", "kg1.cp.c20.d64SSD.e1v1",
	} {
		m, ok := cat.PhoneModel(name)
		require.True(t, ok, name)
		require.Equal(t, 1, m.Status, name)
		require.Equal(t, name, m.SpecCode, name)
	}
	for _, id := range []string{
		"20032420200401a60b0003a99684b8ea", "20032120200330a20b000eae5b8c01e6",
		"be4d231e44d2a4ccf612660a473fe1e3", "20060220200717f201120a2300000e91",
	} {
		im, ok := cat.Image(id)
		require.True(t, ok, id)
		require.Equal(t, 1, im.IsPublic)
		require.Equal(t, "aosp", im.OSType)
		require.NotEmpty(t, im.RuntimeRef["docker"], id)
	}
	se, _ := cat.PhoneModel("rc2.se")
	require.Equal(t, 100, se.PhoneCapacity)
	require.Equal(t, 5, se.CPU)
	require.Equal(t, 10240, se.Memory)
	require.Equal(t, "720x1280", se.Resolution)
	require.Equal(t, "30", se.Fps)
}

// TestDefaultCatalogSellable checks that each server model runs a phone model on sale and that
// each phone model has an image to boot, so a purchase of any of them can pass.
func TestDefaultCatalogSellable(t *testing.T) {
	t.Parallel()
	cat := DefaultCatalog()
	for _, sm := range cat.ServerModels {
		pms := cat.PhoneModelsOf(sm.ServerModelName)
		require.NotEmpty(t, pms, sm.ServerModelName)
		for _, pm := range pms {
			require.Equal(t, sm.ProductType, pm.ProductType, pm.PhoneModelName)
			require.NotEmpty(t, cat.ImagesFor(pm.ImageLabel), pm.PhoneModelName)
			require.True(t, json.Valid([]byte(pm.ExtendSpec)), pm.PhoneModelName)
			require.NotZero(t, pm.Dpi, pm.PhoneModelName)
		}
	}
}

// TestServerModelJSON compares the rx1 server model with 5.1.3's response example, field for
// field: extend_spec is an object with integer counts and no os_volume on a local-disk server.
func TestServerModelJSON(t *testing.T) {
	t.Parallel()
	m, ok := DefaultCatalog().ServerModel("physical.rx1.xlarge")
	require.True(t, ok)
	got, err := json.Marshal(m)
	require.NoError(t, err)
	require.JSONEq(t, `{
		"server_model_name": "physical.rx1.xlarge",
		"server_type": "Hi1616",
		"cpu": 64,
		"memory": 256,
		"extend_spec": {
			"cpu": "Hi1616(2*32Core*2.4GHz)",
			"memory": "DDR4 RAM",
			"disk": "2*1.2T SAS + 800G SSD",
			"network_interface": "2 x 2*10GE",
			"gpu": "3*WX5100",
			"bms_flavor": "physical.rg1.xlarge.cph.ondemand",
			"gpu_count": 3,
			"numa_count": 4
		},
		"product_type": 0,
		"free_size": 0
	}`, string(got))

	kg1, _ := DefaultCatalog().ServerModel("physical.kg1.4xlarge.cp")
	got, err = json.Marshal(kg1)
	require.NoError(t, err)
	require.Contains(t, string(got), `"os_volume":{"size":100,"volume_type":"SSD"}`)
}

// TestWireKeys checks the keys of phone models and images against the SDK's model.PhoneModel and
// model.PhoneImage, and that runtime_ref stays private.
func TestWireKeys(t *testing.T) {
	t.Parallel()
	cat := DefaultCatalog()
	keys := func(v any) []string {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		var out []string
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	pm, _ := cat.PhoneModel("rx1.cp.c60.d10.e1v1")
	require.Equal(t, []string{
		"cpu", "disk", "dpi", "extend_spec", "fps", "image_label", "memory", "phone_capacity",
		"phone_model_name", "phone_model_version", "product_type", "render_fps", "resolution",
		"server_model_name", "spec_code", "status", "stream_fps", "volume_mode",
	}, keys(pm))
	im, _ := cat.Image("20032120200330a20b000eae5b8c01e6")
	want := []string{"image_id", "image_label", "image_name", "is_public", "is_support_encrypt", "os_name", "os_type"}
	require.Equal(t, want, keys(im))
	require.Equal(t, want, keys(im.PhoneImage))
	require.Equal(t, []string{"phone_images", "request_id"}, keys(api.ListPhoneImagesResponse{PhoneImages: cat.PhoneImages()}))
	require.Equal(t, []string{"phone_models", "request_id"}, keys(api.ListPhoneModelsResponse{}))
	require.Equal(t, []string{"request_id", "server_models"}, keys(api.ListServerModelsResponse{}))
}

func TestCatalogLookups(t *testing.T) {
	t.Parallel()
	cat := DefaultCatalog()
	_, ok := cat.ServerModel("nope")
	require.False(t, ok)
	_, ok = cat.PhoneModel("nope")
	require.False(t, ok)
	_, ok = cat.Image("nope")
	require.False(t, ok)

	games := cat.ListServerModels(ptr(1))
	require.Len(t, games, 2)
	for _, m := range games {
		require.Equal(t, 1, m.ProductType)
	}
	require.Len(t, cat.ListServerModels(nil), len(cat.ServerModels))
	require.Len(t, cat.ListPhoneModels(ptr(0)), 0)
	require.Len(t, cat.ListPhoneModels(ptr(1)), len(cat.PhoneModels))
	for _, pm := range cat.PhoneModelsOf("physical.rx1.xlarge") {
		require.Equal(t, "physical.rx1.xlarge", pm.ServerModelName)
	}
	require.Len(t, cat.ImagesFor(LabelQemuPhone), 1)
}

func TestDefaultCatalogFreshCopy(t *testing.T) {
	t.Parallel()
	a := DefaultCatalog()
	a.PhoneModels[0].Status = 0
	a.Images[0].RuntimeRef["docker"] = "changed"
	b := DefaultCatalog()
	require.Equal(t, 1, b.PhoneModels[0].Status)
	require.NotEqual(t, "changed", b.Images[0].RuntimeRef["docker"])
}

func TestCatalogValidateRejects(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		mut  func(c *Catalog)
	}{
		{"duplicate server model", func(c *Catalog) { c.ServerModels = append(c.ServerModels, c.ServerModels[0]) }},
		{"duplicate phone model", func(c *Catalog) { c.PhoneModels = append(c.PhoneModels, c.PhoneModels[0]) }},
		{"duplicate image", func(c *Catalog) { c.Images = append(c.Images, c.Images[0]) }},
		{"phone model of unknown server model", func(c *Catalog) { c.PhoneModels[0].ServerModelName = "nope" }},
		{"phone model of other product type", func(c *Catalog) { c.PhoneModels[0].ProductType = 1 }},
		{"phone model without capacity", func(c *Catalog) { c.PhoneModels[0].PhoneCapacity = 0 }},
		{"phone model with unknown label", func(c *Catalog) { c.PhoneModels[0].ImageLabel = "nope" }},
		{"phone model with bad extend_spec", func(c *Catalog) { c.PhoneModels[0].ExtendSpec = "{" }},
		{"server model without phone models", func(c *Catalog) {
			c.ServerModels = append(c.ServerModels, api.ServerModel{ServerModelName: "physical.empty"})
		}},
		{"phone model on sale without image", func(c *Catalog) {
			c.Images = slices.DeleteFunc(c.Images, func(im Image) bool { return im.ImageLabel == LabelQemuPhone })
		}},
		{"image id not hex", func(c *Catalog) { c.Images[0].ImageID = "AOSP-7" }},
		{"image with unknown label", func(c *Catalog) { c.Images[0].ImageLabel = "nope" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cat := DefaultCatalog()
			tc.mut(cat)
			require.Error(t, cat.Validate())
		})
	}
}

func writeCatalog(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "catalog.yaml")
	require.NoError(t, os.WriteFile(path, []byte(yaml), 0o600))
	return path
}

func TestLoadCatalogMerges(t *testing.T) {
	t.Parallel()
	cat, err := LoadCatalog(writeCatalog(t, `
phone_models:
  - server_model_name: physical.rx1.xlarge
    phone_model_name: rx1.cp.c10.d64.e1v1
    cpu: 8
    memory: 16384
    disk: 64
    resolution: 1080x1920
    phone_capacity: 10
    image_label: cloud_phone
    extend_spec: '{"eip_count": 1}'
  - server_model_name: physical.rx1.xlarge
    phone_model_name: rc1.se
    status: 0
    phone_capacity: 60
    image_label: cloud_phone
phone_images:
  - image_id: 20032120200330a20b000eae5b8c01e6
    image_name: AOSP
    os_type: aosp
    os_name: AOSP7.1.1
    image_label: cloud_phone
    runtime_ref:
      docker: registry.example.com/android:7
`))
	require.NoError(t, err)
	def := DefaultCatalog()
	require.Len(t, cat.ServerModels, len(def.ServerModels))
	require.Len(t, cat.PhoneModels, len(def.PhoneModels)+1)
	added, ok := cat.PhoneModel("rx1.cp.c10.d64.e1v1")
	require.True(t, ok)
	require.Equal(t, 1, added.Status, "status defaults to on sale")
	require.Equal(t, "rx1.cp.c10.d64.e1v1", added.SpecCode, "spec_code defaults to the name")
	retiredModel, _ := cat.PhoneModel("rc1.se")
	require.Equal(t, 0, retiredModel.Status)
	im, _ := cat.Image("20032120200330a20b000eae5b8c01e6")
	require.Equal(t, 1, im.IsPublic, "is_public defaults to public")
	require.Equal(t, "registry.example.com/android:7", im.RuntimeRef["docker"])
	require.Len(t, cat.Images, len(def.Images))
}

func TestLoadCatalogReplaces(t *testing.T) {
	t.Parallel()
	cat, err := LoadCatalog(writeCatalog(t, `
replace: true
server_models:
  - server_model_name: physical.lab.small
    server_type: x86
    cpu: 16
    memory: 64
phone_models:
  - server_model_name: physical.lab.small
    phone_model_name: lab.c4
    phone_capacity: 4
    image_label: cloud_phone
phone_images:
  - image_id: 0123456789abcdef0123456789abcdef
    image_name: AOSP
    os_name: AOSP11.0.0
    image_label: cloud_phone
`))
	require.NoError(t, err)
	require.Len(t, cat.ServerModels, 1)
	require.Len(t, cat.PhoneModels, 1)
	require.Len(t, cat.Images, 1)
	require.Nil(t, cat.Images[0].RuntimeRef)
}

func TestLoadCatalogErrors(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"misspelt key":     "phone_modles: []\n",
		"not yaml":         "server_models: [\n",
		"wrong type":       "server_models:\n  - cpu: many\n",
		"inconsistent":     "phone_models:\n  - server_model_name: nope\n    phone_model_name: x\n    phone_capacity: 1\n    image_label: cloud_phone\n",
		"replace to empty": "replace: true\nserver_models:\n  - server_model_name: lonely\n",
	} {
		_, err := LoadCatalog(writeCatalog(t, body))
		require.Error(t, err, name)
	}
	_, err := LoadCatalog(filepath.Join(t.TempDir(), "missing.yaml"))
	require.ErrorIs(t, err, os.ErrNotExist)
}
