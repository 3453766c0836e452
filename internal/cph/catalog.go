package cph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/opencph/opencph/api"
)

// Catalog is what a deployment sells: server models (5.1.3), the phone models each server model
// runs (5.3.4) and the public images those phones boot (5.3.5). A purchase names one of each, and
// they must fit together: the phone model belongs to the server model and the image carries the
// phone model's image_label.
//
// A Catalog is not changed once built, so any number of goroutines may read it without a lock.
type Catalog struct {
	ServerModels []api.ServerModel
	PhoneModels  []api.PhoneModel
	Images       []Image
}

// Image is a phone image with what each runtime driver needs to boot it.
type Image struct {
	api.PhoneImage
	// RuntimeRef maps a runtime driver's name to its reference for this image, such as the
	// container image the docker driver runs. Drivers that need none (sim) have no entry. It is
	// deployment detail, never shown to API clients.
	RuntimeRef map[string]string `json:"-"`
}

// Image labels of table 5-120: an image runs on the phone models that carry its label.
const (
	LabelQemuPhone      = "qemu_phone"
	LabelCloudPhone     = "cloud_phone"
	LabelCloudPhone1620 = "cloud_phone_1620"
	LabelCloudGame      = "cloud_game"
	LabelCloudGame1620  = "cloud_game_1620"
)

var imageLabels = []string{LabelQemuPhone, LabelCloudPhone, LabelCloudPhone1620, LabelCloudGame, LabelCloudGame1620}

// ServerModel finds a server model by name.
func (c *Catalog) ServerModel(name string) (api.ServerModel, bool) {
	for _, m := range c.ServerModels {
		if m.ServerModelName == name {
			return m, true
		}
	}
	return api.ServerModel{}, false
}

// PhoneModel finds a phone model by name, on sale or not.
func (c *Catalog) PhoneModel(name string) (api.PhoneModel, bool) {
	for _, m := range c.PhoneModels {
		if m.PhoneModelName == name {
			return m, true
		}
	}
	return api.PhoneModel{}, false
}

// Image finds an image by id.
func (c *Catalog) Image(id string) (Image, bool) {
	for _, im := range c.Images {
		if im.ImageID == id {
			return im, true
		}
	}
	return Image{}, false
}

// PhoneModelsOf lists the phone models a server model runs, in catalogue order.
func (c *Catalog) PhoneModelsOf(serverModel string) []api.PhoneModel {
	var out []api.PhoneModel
	for _, m := range c.PhoneModels {
		if m.ServerModelName == serverModel {
			out = append(out, m)
		}
	}
	return out
}

// ImagesFor lists the images that run on phone models with the given image label.
func (c *Catalog) ImagesFor(label string) []Image {
	var out []Image
	for _, im := range c.Images {
		if im.ImageLabel == label {
			out = append(out, im)
		}
	}
	return out
}

// ListServerModels is the answer of 5.1.3: every server model, or those of one product type
// (0 cloud phone, 1 cloud game) when productType is given. The slice is a copy.
func (c *Catalog) ListServerModels(productType *int) []api.ServerModel {
	out := make([]api.ServerModel, 0, len(c.ServerModels))
	for _, m := range c.ServerModels {
		if productType == nil || m.ProductType == *productType {
			out = append(out, m)
		}
	}
	return out
}

// ListPhoneModels is the answer of 5.3.4 before paging: every phone model, or those of one status
// (1 on sale, 0 retired) when status is given. The slice is a copy.
func (c *Catalog) ListPhoneModels(status *int) []api.PhoneModel {
	out := make([]api.PhoneModel, 0, len(c.PhoneModels))
	for _, m := range c.PhoneModels {
		if status == nil || m.Status == *status {
			out = append(out, m)
		}
	}
	return out
}

// PhoneImages is the wire form of the catalogue's images for 5.3.5.
func (c *Catalog) PhoneImages() []api.PhoneImage {
	out := make([]api.PhoneImage, len(c.Images))
	for i, im := range c.Images {
		out[i] = im.PhoneImage
	}
	return out
}

// Validate checks that the catalogue is consistent and that everything on sale can be bought:
// names and ids are unique and well formed, every phone model belongs to a known server model of
// its product type, every server model runs at least one phone model, and every phone model on
// sale has at least one image with its label. A catalogue that passes lets a purchase of any
// server model, its on-sale phone models and their images succeed.
func (c *Catalog) Validate() error {
	var errs []error
	servers := map[string]api.ServerModel{}
	for _, m := range c.ServerModels {
		switch {
		case m.ServerModelName == "" || len(m.ServerModelName) > 64:
			errs = append(errs, fmt.Errorf("server model %q: name must be 1-64 bytes", m.ServerModelName))
		case servers[m.ServerModelName].ServerModelName != "":
			errs = append(errs, fmt.Errorf("server model %q: listed twice", m.ServerModelName))
		}
		if m.ProductType != 0 && m.ProductType != 1 {
			errs = append(errs, fmt.Errorf("server model %q: product_type must be 0 or 1", m.ServerModelName))
		}
		servers[m.ServerModelName] = m
	}
	phones := map[string]bool{}
	labelsOnSale := map[string][]string{}
	for _, m := range c.PhoneModels {
		name := m.PhoneModelName
		switch {
		case name == "" || len(name) > 64:
			errs = append(errs, fmt.Errorf("phone model %q: name must be 1-64 bytes", name))
		case phones[name]:
			errs = append(errs, fmt.Errorf("phone model %q: listed twice", name))
		}
		phones[name] = true
		sm, ok := servers[m.ServerModelName]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("phone model %q: unknown server model %q", name, m.ServerModelName))
		case sm.ProductType != m.ProductType:
			errs = append(errs, fmt.Errorf("phone model %q: product_type %d differs from server model %q's",
				name, m.ProductType, m.ServerModelName))
		}
		if m.PhoneCapacity < 1 {
			errs = append(errs, fmt.Errorf("phone model %q: phone_capacity must be at least 1", name))
		}
		if !slices.Contains(imageLabels, m.ImageLabel) {
			errs = append(errs, fmt.Errorf("phone model %q: unknown image_label %q", name, m.ImageLabel))
		}
		if m.Status != 0 && m.Status != 1 {
			errs = append(errs, fmt.Errorf("phone model %q: status must be 0 or 1", name))
		}
		if m.PhoneModelVersion != 0 && m.PhoneModelVersion != 1 {
			errs = append(errs, fmt.Errorf("phone model %q: phone_model_version must be 0 or 1", name))
		}
		if m.ExtendSpec != "" && !json.Valid([]byte(m.ExtendSpec)) {
			errs = append(errs, fmt.Errorf("phone model %q: extend_spec is not JSON", name))
		}
		if m.Status == 1 {
			labelsOnSale[m.ImageLabel] = append(labelsOnSale[m.ImageLabel], name)
		}
	}
	for _, m := range c.ServerModels {
		if len(c.PhoneModelsOf(m.ServerModelName)) == 0 {
			errs = append(errs, fmt.Errorf("server model %q: no phone model runs on it", m.ServerModelName))
		}
	}
	images := map[string]bool{}
	for _, im := range c.Images {
		if !isHexID(im.ImageID) {
			errs = append(errs, fmt.Errorf("image %q: id must be 32 lowercase hex characters", im.ImageID))
		}
		if images[im.ImageID] {
			errs = append(errs, fmt.Errorf("image %q: listed twice", im.ImageID))
		}
		images[im.ImageID] = true
		if !slices.Contains(imageLabels, im.ImageLabel) {
			errs = append(errs, fmt.Errorf("image %q: unknown image_label %q", im.ImageID, im.ImageLabel))
		}
		if im.IsPublic != 1 && im.IsPublic != 2 {
			errs = append(errs, fmt.Errorf("image %q: is_public must be 1 or 2", im.ImageID))
		}
	}
	for _, label := range imageLabels {
		if names := labelsOnSale[label]; len(names) > 0 && len(c.ImagesFor(label)) == 0 {
			errs = append(errs, fmt.Errorf("phone models %v: no image with label %q", names, label))
		}
	}
	return errors.Join(errs...)
}

// catalogFile is the YAML shape LoadCatalog reads: the keys of the list responses (5.1.3, 5.3.4,
// 5.3.5), so an operator can paste an entry from an API answer, plus the images' runtime_ref.
type catalogFile struct {
	// Replace discards the built-in defaults instead of merging into them.
	Replace      bool              `json:"replace"`
	ServerModels []api.ServerModel `json:"server_models"`
	PhoneModels  []api.PhoneModel  `json:"phone_models"`
	PhoneImages  []catalogImage    `json:"phone_images"`
}

type catalogImage struct {
	api.PhoneImage
	RuntimeRef map[string]string `json:"runtime_ref"`
}

// LoadCatalog reads a catalogue from a YAML file whose keys are those of the API's list answers:
// server_models, phone_models and phone_images (each image may add runtime_ref).
//
// The file is merged into DefaultCatalog: an entry whose key (server_model_name,
// phone_model_name, image_id) is already there replaces that entry whole, and a new key is
// appended, so a file adds a model or retires one (status: 0) without restating the rest. With
// "replace: true" at the top the defaults are dropped and the file alone is the catalogue. A phone
// model without status is on sale (1), an image without is_public is public (1), and spec_code
// defaults to the phone model's name. The result must pass Validate.
func LoadCatalog(path string) (*Catalog, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading catalogue: %w", err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("parsing catalogue %s: %w", path, err)
	}
	fillDefault(doc["phone_models"], "status", 1)
	fillDefault(doc["phone_images"], "is_public", 1)
	// Going through JSON gives the file exactly the API's field names and types without a second
	// set of tags on the wire types, and rejects misspelt keys.
	js, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("parsing catalogue %s: %w", path, err)
	}
	var f catalogFile
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("parsing catalogue %s: %w", path, err)
	}
	cat := &Catalog{}
	if !f.Replace {
		cat = DefaultCatalog()
	}
	for _, m := range f.ServerModels {
		cat.ServerModels = upsert(cat.ServerModels, m, func(x api.ServerModel) bool { return x.ServerModelName == m.ServerModelName })
	}
	for _, m := range f.PhoneModels {
		if m.SpecCode == "" {
			m.SpecCode = m.PhoneModelName
		}
		cat.PhoneModels = upsert(cat.PhoneModels, m, func(x api.PhoneModel) bool { return x.PhoneModelName == m.PhoneModelName })
	}
	for _, im := range f.PhoneImages {
		e := Image{PhoneImage: im.PhoneImage, RuntimeRef: im.RuntimeRef}
		cat.Images = upsert(cat.Images, e, func(x Image) bool { return x.ImageID == e.ImageID })
	}
	if err := cat.Validate(); err != nil {
		return nil, fmt.Errorf("catalogue %s: %w", path, err)
	}
	return cat, nil
}

// fillDefault sets key to v in every mapping of list that lacks it.
func fillDefault(list any, key string, v any) {
	items, _ := list.([]any)
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			if _, set := m[key]; !set {
				m[key] = v
			}
		}
	}
}

// upsert replaces the first element matching same with v, or appends v.
func upsert[T any](s []T, v T, same func(T) bool) []T {
	if i := slices.IndexFunc(s, same); i >= 0 {
		s[i] = v
		return s
	}
	return append(s, v)
}

// isHexID reports whether s has the API's id format: 32 lowercase hex characters.
func isHexID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := range len(s) {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// DefaultCatalog is the catalogue a deployment sells unless configured otherwise: the server
// models of appendix A.3 (physical.rx1.xlarge as the example of 5.1.3 shows it), the phone models
// of appendix A.2 and of the examples of 5.3.4 and 5.1.4, and the public AOSP images of 5.3.5
// and 5.1.4's example. Where the reference names a model without its figures, they are derived
// from its siblings and its name. Each call returns a fresh copy the caller may change.
func DefaultCatalog() *Catalog {
	return &Catalog{ServerModels: defaultServerModels(), PhoneModels: defaultPhoneModels(), Images: defaultImages()}
}

func defaultServerModels() []api.ServerModel {
	// rx1 is the Hi1616 generation with local disks and GPUs (5.1.3's example); kg1, rx2 and rx3
	// are Kunpeng 920 (Hi1620) machines without local disks, so they report an os_volume.
	rx1 := api.ServerModelExtendSpec{
		CPU: "Hi1616(2*32Core*2.4GHz)", Memory: "DDR4 RAM", Disk: "2*1.2T SAS + 800G SSD",
		NetworkInterface: "2 x 2*10GE", GPU: "3*WX5100", BmsFlavor: "physical.rg1.xlarge.cph.ondemand",
		GPUCount: 3, NumaCount: 4,
	}
	rx1cg := rx1
	rx1cg.Disk = "2*1.2T SAS + 800G SAS SSD"
	rx1cg.BmsFlavor = "physical.rg1.xlarge.cg.ondemand"
	kunpeng := func(flavor string) api.ServerModelExtendSpec {
		return api.ServerModelExtendSpec{
			CPU: "Kunpeng 920(2*64Core*2.6GHz)", Memory: "DDR4 RAM", Disk: "no local disk",
			NetworkInterface: "2 x 2*10GE", BmsFlavor: flavor, NumaCount: 4,
			OSVolume: &api.OSVolume{Size: 100, VolumeType: "SSD"},
		}
	}
	return []api.ServerModel{
		{ServerModelName: "physical.rx1.xlarge", ServerType: "Hi1616", CPU: 64, Memory: 256, ExtendSpec: rx1},
		{ServerModelName: "physical.rx1.xlarge.cg", ServerType: "Hi1616", CPU: 64, Memory: 256, ExtendSpec: rx1cg, ProductType: 1},
		{ServerModelName: "physical.kg1.4xlarge.cp", ServerType: "Hi1620", CPU: 128, Memory: 512, ExtendSpec: kunpeng("physical.kg1.4xlarge.cp")},
		{ServerModelName: "physical.kg1.4xlarge.cg", ServerType: "Hi1620", CPU: 128, Memory: 512, ExtendSpec: kunpeng("physical.kg1.4xlarge.cg"), ProductType: 1},
		{ServerModelName: "physical.rx2.32xlarge.4", ServerType: "Hi1620", CPU: 128, Memory: 512, ExtendSpec: kunpeng("physical.rx2.32xlarge.4")},
		{ServerModelName: "physical.rx3.32xlarge.4", ServerType: "Hi1620", CPU: 128, Memory: 512, ExtendSpec: kunpeng("physical.rx3.32xlarge.4")},
	}
}

// phoneSpec is the part of a phone model that differs between models; phoneModel fills in the rest.
type phoneSpec struct {
	server, name, label string
	product, capacity   int
	cpu, memoryMB, disk int
	resolution          string
	fps                 int
	version             int // 1 for 2.0 models, which have a data volume per phone
}

func phoneModel(s phoneSpec) api.PhoneModel {
	dpi := map[string]int{"540x960": 240, "720x1280": 320, "1080x1920": 480}[s.resolution]
	return api.PhoneModel{
		ServerModelName: s.server, PhoneModelName: s.name, Status: 1,
		CPU: s.cpu, Memory: s.memoryMB, Disk: s.disk, Resolution: s.resolution,
		ExtendSpec:    fmt.Sprintf(`{"eip_count": 1, "vip_count": 1, "emulator_type": 1, "core_bind_strategy": "common_hosted_c%d"}`, s.capacity),
		SpecCode:      s.name,
		PhoneCapacity: s.capacity, ImageLabel: s.label, ProductType: s.product,
		PhoneModelVersion: s.version, Dpi: dpi, Fps: fmt.Sprint(s.fps), VolumeMode: s.version,
		RenderFps: s.fps, StreamFps: s.fps,
	}
}

func defaultPhoneModels() []api.PhoneModel {
	const (
		rx1, rx1cg  = "physical.rx1.xlarge", "physical.rx1.xlarge.cg"
		kg1, kg1cg  = "physical.kg1.4xlarge.cp", "physical.kg1.4xlarge.cg"
		rx2, rx3    = "physical.rx2.32xlarge.4", "physical.rx3.32xlarge.4"
		p720, p1080 = "720x1280", "1080x1920"
	)
	specs := []phoneSpec{
		// Appendix A.2. rc1 runs 60 phones like rx1's c60 models; rc2 and rc3 are the 2.0 models of
		// the rx2 and rx3 servers of the same generation.
		{rx1, "rc1.se", LabelCloudPhone, 0, 60, 4, 8192, 32, p720, 30, 0},
		{rx1, "rc1.plus", LabelCloudPhone, 0, 30, 6, 12288, 32, p720, 60, 0},
		{rx2, "rc2.se", LabelCloudPhone1620, 0, 100, 5, 10240, 32, p720, 30, 1},
		{rx2, "rc2.plus", LabelCloudPhone1620, 0, 80, 6, 12288, 32, p720, 30, 1},
		{rx2, "rc2.pro", LabelCloudPhone1620, 0, 60, 8, 16384, 32, p720, 60, 1},
		{rx2, "rc2.max", LabelCloudPhone1620, 0, 40, 16, 24576, 32, p1080, 30, 1},
		{rx2, "rc2.pro_max", LabelCloudPhone1620, 0, 20, 20, 32768, 32, p1080, 30, 1},
		{rx3, "rc3.se", LabelCloudPhone1620, 0, 100, 5, 10240, 32, p720, 30, 1},
		{rx3, "rc3.plus", LabelCloudPhone1620, 0, 90, 6, 12288, 32, p720, 60, 1},
		{rx3, "rc3.pro", LabelCloudPhone1620, 0, 60, 8, 16384, 32, p1080, 60, 1},
		{rx3, "rc3.max", LabelCloudPhone1620, 0, 40, 16, 24576, 32, p1080, 60, 1},
		{rx3, "rc3.pro_max", LabelCloudPhone1620, 0, 20, 20, 32768, 32, p1080, 60, 1},
		// 5.1.4's example and its cloud game sibling on kg1; a cloud game model for rx1.cg.
		{kg1, "kg1.cp.c20.d64SSD.e1v1", LabelCloudPhone1620, 0, 20, 6, 24576, 64, p1080, 60, 0},
		{kg1cg, "kg1.cg.c20.d64SSD.e1v1", LabelCloudGame1620, 1, 20, 6, 24576, 64, p1080, 60, 0},
		{rx1cg, "rx1.cg.c30.d10.e1v1", LabelCloudGame, 1, 30, 4, 7168, 10, p720, 60, 0},
	}
	// 5.3.4's two examples, verbatim.
	out := []api.PhoneModel{
		{
			ServerModelName: rx1, PhoneModelName: "rx1.cp.c60.d32.e1v1.qemu", Status: 1,
			CPU: 2, Memory: 3072, Disk: 32, Resolution: "540x960", RenderFps: 60, StreamFps: 60,
			ExtendSpec: `{"eip_count": 1, "vip_count":1, "emulator_type":0, "bms_image_id": "72460777-7fcb-4cae-8bb5-62d93be86bd7", "core_bind_strategy": "lxc_qemu_common_hosted_c60", "sd_disk": 1}`,
			SpecCode:   "rx1.cp.c60.d32.e1v1.qemu", PhoneCapacity: 60, ImageLabel: LabelQemuPhone,
			Dpi: 240, Fps: "60",
		},
		{
			ServerModelName: rx1, PhoneModelName: "rx1.cp.c60.d10.e1v1", Status: 1,
			CPU: 2, Memory: 3584, Disk: 10, Resolution: p720, RenderFps: 60, StreamFps: 60,
			ExtendSpec: `{"eip_count": 1, "vip_count":1, "emulator_type":1, "thinpool_size_g":70, "sharepool_size_g":650, "max_share_disk_size_g":50, "encode_server_spec": {"cpu": 2, "memory": 14448, "disk": 10, "image_id": "coderserver_v2.5", "port_num":0}, "core_bind_strategy": "common_hosted_c60"}`,
			SpecCode:   "rx1.cp.c60.d10.e1v1", PhoneCapacity: 60, ImageLabel: LabelCloudPhone,
			Dpi: 320, Fps: "60",
		},
	}
	for _, s := range specs {
		out = append(out, phoneModel(s))
	}
	return out
}

func defaultImages() []Image {
	// redroid publishes Android 8.1 and later; the AOSP 7 images of the reference run on its
	// oldest build, the closest there is.
	redroid := func(tag string) map[string]string {
		return map[string]string{"docker": "redroid/redroid:" + tag + "-latest"}
	}
	aosp := func(id, label, osName string, encrypt bool, docker string) Image {
		return Image{
			PhoneImage: api.PhoneImage{
				ImageName: "AOSP", OSType: "aosp", IsPublic: 1, OSName: osName,
				ImageLabel: label, ImageID: id, IsSupportEncrypt: encrypt,
			},
			RuntimeRef: redroid(docker),
		}
	}
	return []Image{
		// 5.3.5's examples.
		aosp("20032420200401a60b0003a99684b8ea", LabelCloudGame, "AOSP7.1.1", false, "8.1.0"),
		aosp("20032120200330a20b000eae5b8c01e6", LabelCloudPhone, "AOSP7.1.1", false, "8.1.0"),
		aosp("be4d231e44d2a4ccf612660a473fe1e3", LabelQemuPhone, "AOSP7.0.0", false, "8.1.0"),
		// 5.1.4's example image, for the Kunpeng phone models.
		aosp("20060220200717f201120a2300000e91", LabelCloudPhone1620, "AOSP9.0.0", false, "9.0.0"),
		// Newer Android for the Kunpeng models and the Kunpeng cloud game models' only image.
		aosp("20230915202310201b11a0c1600000a1", LabelCloudPhone1620, "AOSP11.0.0", true, "11.0.0"),
		aosp("20230915202310201b11a0c1600000b2", LabelCloudGame1620, "AOSP11.0.0", true, "11.0.0"),
	}
}
