package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cphv1 "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1/model"
	"github.com/stretchr/testify/require"
)

// publicImage1620 is the catalogue image purchaseBody buys: label cloud_phone_1620, AOSP9.0.0.
const publicImage1620 = "20060220200717f201120a2300000e91"

// imageSourcePhone buys one server and returns the id of one of its phones.
func imageSourcePhone(t *testing.T, c *cphv1.CphClient, name string) string {
	t.Helper()
	resp, jobs := buy(t, c, name, 1)
	require.Equal(t, int32(2), *jobs[0].Status)
	serverID := (*resp.ServerIds)[0]
	phones, err := c.ListCloudPhones(&model.ListCloudPhonesRequest{ServerId: &serverID})
	require.NoError(t, err)
	return *(*phones.Phones)[0].PhoneId
}

// stopForImage stops a phone through batch-stop and waits for its job.
func stopForImage(t *testing.T, c *cphv1.CphClient, phoneID string) {
	t.Helper()
	resp, err := c.StopCloudPhone(&model.StopCloudPhoneRequest{Body: &model.StopCloudPhoneRequestBody{PhoneIds: []string{phoneID}}})
	require.NoError(t, err)
	jobs := waitJobs(t, c, *resp.RequestId, 1)
	require.Equal(t, int32(2), *jobs[0].Status, "stop: %v", jobs[0].ErrorMsg)
}

// createImage calls OpenCPH's POST phones/{phone_id}/image as the admin and returns the new
// image's id and the request id of its capture job.
func (in *instance) createImage(phoneID, name string) (imageID, requestID string) {
	in.t.Helper()
	r := in.do("POST", "/v1/"+in.creds.ProjectID+"/cloud-phone/phones/"+phoneID+"/image", in.token(),
		strings.NewReader(fmt.Sprintf(`{"image_name":%q}`, name)))
	require.Equal(in.t, http.StatusOK, r.status, "%s", r.body)
	m := r.json(in.t)
	require.Regexp(in.t, `^[0-9a-f]{32}$`, m["job_id"])
	require.Equal(in.t, r.header.Get("X-Request-Id"), m["request_id"])
	return m["image_id"].(string), m["request_id"].(string)
}

// importImage registers a ready private image of project through `cph admin images import`.
func (in *instance) importImage(project, name string, extra ...string) string {
	in.t.Helper()
	var out struct {
		Image struct {
			ImageID string `json:"image_id"`
			Status  int    `json:"status"`
		} `json:"image"`
	}
	args := append([]string{"images", "import", name, "--project", project, "--image-version", "AOSP 11",
		"--label", "cloud_phone_1620"}, extra...)
	in.admin(&out, args...)
	require.Equal(in.t, 1, out.Image.Status)
	return out.Image.ImageID
}

// listImages lists custom images with the SDK.
func listImages(t *testing.T, c *cphv1.CphClient, req *model.ListImagesRequest) []model.ListImagesView {
	t.Helper()
	resp, err := c.ListImages(req)
	require.NoError(t, err)
	return *resp.ImageInfos
}

// phoneImageIDs lists the ids phone-images (5.3.5) answers for an image type ("" for none).
func phoneImageIDs(t *testing.T, c *cphv1.CphClient, imageType string) []string {
	t.Helper()
	req := &model.ListCloudPhoneImagesRequest{}
	if imageType != "" {
		req.ImageType = &imageType
	}
	resp, err := c.ListCloudPhoneImages(req)
	require.NoError(t, err)
	var ids []string
	for _, im := range *resp.PhoneImages {
		ids = append(ids, *im.ImageId)
	}
	return ids
}

func imgStr(s string) *string { return &s }

// requireImageCode checks that an SDK call failed with the CPS code.
func requireImageCode(t *testing.T, err error, code string) {
	t.Helper()
	require.Error(t, err)
	require.Contains(t, err.Error(), code)
}

// The proof: project A captures a stopped phone into a private image and shares it with
// project B; B lists it and buys a server with it; the share ends, the image leaves B's lists,
// and B's phones keep running on it.
func TestImageShareAcrossProjects(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	a := in.sdk()
	aProject := in.creds.ProjectID
	phoneID := imageSourcePhone(t, a, "img-src")
	stopForImage(t, a, phoneID)

	imageID, rid := in.createImage(phoneID, "golden-1.0")
	jobs := waitJobs(t, a, rid, 1)
	require.Equal(t, int32(2), *jobs[0].Status, "capture: %v", jobs[0].ErrorMsg)
	require.Equal(t, phoneID, *jobs[0].PhoneId)
	_, err := os.Stat(filepath.Join(in.dataDir, "sim", "images", imageID))
	require.NoError(t, err, "the simulator keeps the captured data")

	own := listImages(t, a, &model.ListImagesRequest{})
	require.Len(t, own, 1)
	im := own[0]
	require.Equal(t, imageID, *im.ImageId)
	require.Equal(t, "golden-1.0", *im.ImageName)
	require.Equal(t, "private", *im.ImageType)
	require.Equal(t, int32(1), *im.Status)
	require.Equal(t, aProject, *im.ProjectId)
	require.Nil(t, im.SrcProjectId)
	require.Equal(t, "AOSP9.0.0", *im.ImageVersion, "the version of the image the phone ran")
	require.Regexp(t, `^[0-9a-f]{32}$`, *im.DomainId)
	require.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`, *im.CreateTime)
	require.Contains(t, phoneImageIDs(t, a, "private"), imageID)
	require.Contains(t, phoneImageIDs(t, a, "all"), imageID)
	require.Contains(t, phoneImageIDs(t, a, "all"), publicImage1620)
	require.NotContains(t, phoneImageIDs(t, a, ""), imageID, "without a type: the public images")
	require.Empty(t, phoneImageIDs(t, a, "share"))

	bProject, ak, sk := in.tenant("image-b", "cph:*")
	b := in.sdkAs(ak, sk, bProject)
	require.Empty(t, listImages(t, b, &model.ListImagesRequest{}))
	body := purchaseBody("b-server", 1)
	body.ImageId = imageID
	_, err = b.CreateNet2CloudPhoneServer(&model.CreateNet2CloudPhoneServerRequest{Body: body})
	requireImageCode(t, err, "CPS.0030")

	_, err = a.AddImageMember(&model.AddImageMemberRequest{ImageId: imageID, Body: &model.AddImageMemberRequestBody{Member: &bProject}})
	require.NoError(t, err)
	_, err = a.AddImageMember(&model.AddImageMemberRequest{ImageId: imageID, Body: &model.AddImageMemberRequestBody{Member: &bProject}})
	requireImageCode(t, err, "CPS.0332")
	members, err := a.ListImageMembers(&model.ListImageMembersRequest{ImageId: imageID})
	require.NoError(t, err)
	require.Len(t, *members.Members, 1)
	mem := (*members.Members)[0]
	require.Equal(t, bProject, *mem.MemberId)
	require.Equal(t, imageID, *mem.ImageId)
	require.InDelta(t, time.Now().UnixMilli(), *mem.CreateTime, float64(time.Minute.Milliseconds()), "epoch milliseconds")
	require.Equal(t, *mem.CreateTime, *mem.UpdateTime)

	shared := listImages(t, b, &model.ListImagesRequest{})
	require.Len(t, shared, 1)
	require.Equal(t, "share", *shared[0].ImageType)
	require.Equal(t, aProject, *shared[0].SrcProjectId)
	require.Nil(t, shared[0].ProjectId)
	require.Empty(t, listImages(t, b, &model.ListImagesRequest{ImageType: imgStr("private")}))
	require.Len(t, listImages(t, b, &model.ListImagesRequest{SrcProjectId: &aProject}), 1)
	require.Equal(t, []string{imageID}, phoneImageIDs(t, b, "share"))
	require.Empty(t, phoneImageIDs(t, b, "private"))

	// Only the owner manages the image.
	_, err = b.DeleteImage(&model.DeleteImageRequest{ImageId: imageID})
	requireImageCode(t, err, "CPS.0001")
	_, err = b.AddImageMember(&model.AddImageMemberRequest{ImageId: imageID, Body: &model.AddImageMemberRequestBody{Member: &aProject}})
	requireImageCode(t, err, "CPS.0001")
	_, err = b.ListImageMembers(&model.ListImageMembersRequest{ImageId: imageID})
	requireImageCode(t, err, "CPS.0001")

	resp, err := b.CreateNet2CloudPhoneServer(&model.CreateNet2CloudPhoneServerRequest{Body: body})
	require.NoError(t, err)
	bJobs := waitJobs(t, b, *resp.RequestId, 1)
	require.Equal(t, int32(2), *bJobs[0].Status, "%v", bJobs[0].ErrorMsg)
	bServer := (*resp.ServerIds)[0]
	bPhones, err := b.ListCloudPhones(&model.ListCloudPhonesRequest{ServerId: &bServer})
	require.NoError(t, err)
	for _, p := range *bPhones.Phones {
		require.Equal(t, imageID, *p.ImageId)
		require.Equal(t, "AOSP9.0.0", *p.ImageVersion)
	}

	_, err = a.DeleteImage(&model.DeleteImageRequest{ImageId: imageID})
	requireImageCode(t, err, "CPS.0255")

	_, err = a.DeleteImageMember(&model.DeleteImageMemberRequest{ImageId: imageID, MemberId: bProject})
	require.NoError(t, err)
	_, err = a.DeleteImageMember(&model.DeleteImageMemberRequest{ImageId: imageID, MemberId: bProject})
	requireImageCode(t, err, "CPS.0243")
	members, err = a.ListImageMembers(&model.ListImageMembersRequest{ImageId: imageID})
	require.NoError(t, err)
	require.Empty(t, *members.Members)

	require.Empty(t, listImages(t, b, &model.ListImagesRequest{}))
	require.Empty(t, phoneImageIDs(t, b, "share"))
	require.NotContains(t, phoneImageIDs(t, b, "all"), imageID)
	_, err = b.CreateNet2CloudPhoneServer(&model.CreateNet2CloudPhoneServerRequest{Body: purchaseWithImage("b-again", imageID)})
	requireImageCode(t, err, "CPS.0030")

	// B's phones keep running on the image, and restart on it.
	bPhoneID := *(*bPhones.Phones)[0].PhoneId
	detail, err := b.ShowCloudPhoneDetail(&model.ShowCloudPhoneDetailRequest{PhoneId: bPhoneID})
	require.NoError(t, err)
	require.Equal(t, int32(2), *detail.Status)
	require.Equal(t, imageID, *detail.ImageId)
	restart, err := b.RestartCloudPhone(&model.RestartCloudPhoneRequest{Body: &model.RestartCloudPhoneRequestBody{
		Phones: []model.PhoneProperty{{PhoneId: bPhoneID}},
	}})
	require.NoError(t, err)
	rj := waitJobs(t, b, *restart.RequestId, 1)
	require.Equal(t, int32(2), *rj[0].Status, "%v", rj[0].ErrorMsg)
	detail, err = b.ShowCloudPhoneDetail(&model.ShowCloudPhoneDetailRequest{PhoneId: bPhoneID})
	require.NoError(t, err)
	require.Equal(t, int32(2), *detail.Status)
	require.Equal(t, imageID, *detail.ImageId)

	// Still in use by B's phones: the owner cannot delete it.
	_, err = a.DeleteImage(&model.DeleteImageRequest{ImageId: imageID})
	requireImageCode(t, err, "CPS.0255")
}

// purchaseWithImage is purchaseBody with another image.
func purchaseWithImage(name, imageID string) *model.CreateNet2CloudPhoneServerRequestBody {
	b := purchaseBody(name, 1)
	b.ImageId = imageID
	return b
}

// A phone bought or reset with a captured image starts with the captured data; reset without an
// image returns to the phone's image, the captured one.
func TestImageCarriesData(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	c := in.sdk()
	tmpl := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(tmpl, "marker.txt"), []byte("from the template"), 0o600))
	imported := in.importImage(in.creds.ProjectID, "templated", "--sim-template", tmpl)

	resp, err := c.CreateNet2CloudPhoneServer(&model.CreateNet2CloudPhoneServerRequest{Body: purchaseWithImage("tmpl", imported)})
	require.NoError(t, err)
	jobs := waitJobs(t, c, *resp.RequestId, 1)
	require.Equal(t, int32(2), *jobs[0].Status, "%v", jobs[0].ErrorMsg)
	serverID := (*resp.ServerIds)[0]
	phones, err := c.ListCloudPhones(&model.ListCloudPhonesRequest{ServerId: &serverID})
	require.NoError(t, err)
	phoneID := *(*phones.Phones)[0].PhoneId
	marker := filepath.Join(in.dataDir, "sim", "phones", phoneID, "data", "marker.txt")
	b, err := os.ReadFile(marker)
	require.NoError(t, err)
	require.Equal(t, "from the template", string(b))
	require.Equal(t, "AOSP 11", *(*phones.Phones)[0].ImageVersion)

	// Capture the phone, then buy from the capture: the data travels.
	stopForImage(t, c, phoneID)
	captured, rid := in.createImage(phoneID, "captured")
	require.Equal(t, int32(2), *waitJobs(t, c, rid, 1)[0].Status)
	list := listImages(t, c, &model.ListImagesRequest{ImageId: &captured})
	require.Len(t, list, 1)
	require.Equal(t, int64(len("from the template")), *list[0].ImageSize)
	require.Equal(t, "AOSP 11", *list[0].ImageVersion)

	resp, err = c.CreateNet2CloudPhoneServer(&model.CreateNet2CloudPhoneServerRequest{Body: purchaseWithImage("cap", captured)})
	require.NoError(t, err)
	require.Equal(t, int32(2), *waitJobs(t, c, *resp.RequestId, 1)[0].Status)
	serverID = (*resp.ServerIds)[0]
	phones, err = c.ListCloudPhones(&model.ListCloudPhonesRequest{ServerId: &serverID})
	require.NoError(t, err)
	other := *(*phones.Phones)[0].PhoneId
	b, err = os.ReadFile(filepath.Join(in.dataDir, "sim", "phones", other, "data", "marker.txt"))
	require.NoError(t, err)
	require.Equal(t, "from the template", string(b))

	// A reset to a public image wipes the data.
	reset, err := c.ResetCloudPhone(&model.ResetCloudPhoneRequest{Body: &model.ResetCloudPhoneRequestBody{
		ImageId: imgStr(publicImage1620), Phones: []model.PhoneProperty{{PhoneId: other}},
	}})
	require.NoError(t, err)
	require.Equal(t, int32(2), *waitJobs(t, c, *reset.RequestId, 1)[0].Status)
	_, err = os.Stat(filepath.Join(in.dataDir, "sim", "phones", other, "data", "marker.txt"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

// A capture the runtime fails ends the image in status 2 and its job with CPS.0260; a failed
// image can be deleted.
func TestImageCaptureFailure(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cph.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("sim:\n  faults:\n    - op: capture\n      error: disk full\n"), 0o600))
	in := start(t, filepath.Join(dir, "data"), "--config", cfg)
	c := in.sdk()
	phoneID := imageSourcePhone(t, c, "fails")
	stopForImage(t, c, phoneID)
	imageID, rid := in.createImage(phoneID, "broken")
	jobs := waitJobs(t, c, rid, 1)
	require.Equal(t, int32(-1), *jobs[0].Status)
	require.Equal(t, "CPS.0260", *jobs[0].ErrorCode)

	list := listImages(t, c, &model.ListImagesRequest{Status: imgI32(2)})
	require.Len(t, list, 1)
	require.Equal(t, imageID, *list[0].ImageId)
	require.Empty(t, listImages(t, c, &model.ListImagesRequest{Status: imgI32(1)}))
	require.NotContains(t, phoneImageIDs(t, c, "private"), imageID, "only ready images can be booted")
	_, err := c.CreateNet2CloudPhoneServer(&model.CreateNet2CloudPhoneServerRequest{Body: purchaseWithImage("nope", imageID)})
	requireImageCode(t, err, "CPS.0220")
	_, err = c.AddImageMember(&model.AddImageMemberRequest{ImageId: imageID, Body: &model.AddImageMemberRequestBody{Member: imgStr(strings.Repeat("a", 32))}})
	requireImageCode(t, err, "CPS.0220")

	_, err = c.DeleteImage(&model.DeleteImageRequest{ImageId: imageID})
	require.NoError(t, err)
	require.Empty(t, listImages(t, c, &model.ListImagesRequest{}))
	_, err = c.DeleteImage(&model.DeleteImageRequest{ImageId: imageID})
	requireImageCode(t, err, "CPS.0166")
}

func imgI32(v int32) *int32 { return &v }

// The extension endpoint's refusals, each with its code, and nothing recorded for them.
func TestCreateImageRefusals(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	c := in.sdk()
	running := imageSourcePhone(t, c, "refusals")
	tok := in.token()
	path := func(phone string) string {
		return "/v1/" + in.creds.ProjectID + "/cloud-phone/phones/" + phone + "/image"
	}
	cases := []struct {
		rule, phone, body, code string
	}{
		{"image_name required", running, `{}`, "CPS.0162"},
		{"image_name at most 128 bytes", running, `{"image_name":"` + strings.Repeat("n", 129) + `"}`, "CPS.0162"},
		{"image_name no spaces", running, `{"image_name":"my image"}`, "CPS.0162"},
		{"phone id malformed", "not-a-phone", `{"image_name":"x"}`, "CPS.0004"},
		{"phone unknown", strings.Repeat("0", 32), `{"image_name":"x"}`, "CPS.0005"},
		{"phone must be stopped", running, `{"image_name":"x"}`, "CPS.0216"},
	}
	for _, tc := range cases {
		r := in.do("POST", path(tc.phone), tok, strings.NewReader(tc.body))
		want := http.StatusBadRequest
		if tc.code == "CPS.0005" {
			want = http.StatusNotFound
		}
		require.Equal(t, want, r.status, "%s: %s", tc.rule, r.body)
		require.Equal(t, tc.code, r.json(t)["error_code"], tc.rule)
	}
	require.Empty(t, listImages(t, c, &model.ListImagesRequest{}))
}

// Every filter of 5.9.1 with its total and paging, and the codes of bad parameters.
func TestListImagesFilters(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	a := in.sdk()
	var ids []string
	for _, name := range []string{"one", "two", "three"} {
		ids = append(ids, in.importImage(in.creds.ProjectID, name))
	}
	bProject, ak, sk := in.tenant("filters-b", "cph:*")
	b := in.sdkAs(ak, sk, bProject)
	theirs := in.importImage(bProject, "theirs")
	_, err := b.AddImageMember(&model.AddImageMemberRequest{ImageId: theirs, Body: &model.AddImageMemberRequestBody{Member: &in.creds.ProjectID}})
	require.NoError(t, err)
	hidden := in.importImage(bProject, "hidden")

	all, err := a.ListImages(&model.ListImagesRequest{})
	require.NoError(t, err)
	require.Equal(t, int32(4), *all.Total)
	got := func(list []model.ListImagesView) []string {
		var out []string
		for _, im := range list {
			out = append(out, *im.ImageId)
		}
		return out
	}
	require.Equal(t, []string{theirs, ids[2], ids[1], ids[0]}, got(*all.ImageInfos), "newest first")
	require.NotContains(t, got(*all.ImageInfos), hidden)

	page, err := a.ListImages(&model.ListImagesRequest{Offset: imgI32(1), Limit: imgI32(2)})
	require.NoError(t, err)
	require.Equal(t, int32(4), *page.Total, "total before paging")
	require.Equal(t, []string{ids[2], ids[1]}, got(*page.ImageInfos))

	require.Equal(t, []string{theirs}, got(listImages(t, a, &model.ListImagesRequest{ImageType: imgStr("share")})))
	require.Equal(t, []string{ids[2], ids[1], ids[0]}, got(listImages(t, a, &model.ListImagesRequest{ImageType: imgStr("private")})))
	require.Equal(t, []string{ids[1]}, got(listImages(t, a, &model.ListImagesRequest{ImageId: &ids[1]})))
	require.Empty(t, listImages(t, a, &model.ListImagesRequest{ImageId: &hidden}))
	require.Equal(t, []string{ids[0]}, got(listImages(t, a, &model.ListImagesRequest{ImageName: imgStr("one")})))
	require.Equal(t, []string{theirs}, got(listImages(t, a, &model.ListImagesRequest{SrcProjectId: &bProject})))
	require.Len(t, listImages(t, a, &model.ListImagesRequest{Status: imgI32(1)}), 4)
	require.Empty(t, listImages(t, a, &model.ListImagesRequest{Status: imgI32(0)}))
	since, until := time.Now().Add(-time.Hour).Unix(), time.Now().Add(time.Hour).UnixMilli()
	require.Len(t, listImages(t, a, &model.ListImagesRequest{CreateSince: &since, CreateUntil: &until}), 4)
	future := time.Now().Add(time.Hour).Unix()
	require.Empty(t, listImages(t, a, &model.ListImagesRequest{CreateSince: &future}))

	tok := in.token()
	for query, code := range map[string]string{
		"image_type=public":  "CPS.0116",
		"status=3":           "CPS.0010",
		"status=x":           "CPS.0010",
		"limit=0":            "CPS.0002",
		"limit=101":          "CPS.0002",
		"offset=-1":          "CPS.0002",
		"create_since=today": "CPS.0174",
	} {
		r := in.do("GET", "/v1/"+in.creds.ProjectID+"/cloud-phone/images?"+query, tok, nil)
		require.Equal(t, http.StatusBadRequest, r.status, "%s: %s", query, r.body)
		require.Equal(t, code, r.json(t)["error_code"], query)
	}
	r := in.do("GET", "/v1/"+in.creds.ProjectID+"/cloud-phone/phone-images?image_type=mine", tok, nil)
	require.Equal(t, "CPS.0116", r.json(t)["error_code"])

	// The wire shape: numbers for status, image_size and total, and no project_id on a shared one.
	r = in.do("GET", "/v1/"+in.creds.ProjectID+"/cloud-phone/images?image_type=share", tok, nil)
	require.Equal(t, http.StatusOK, r.status)
	var raw struct {
		ImageInfos []map[string]any `json:"image_infos"`
		Total      any              `json:"total"`
		RequestID  string           `json:"request_id"`
	}
	require.NoError(t, json.Unmarshal(r.body, &raw))
	require.Equal(t, float64(1), raw.Total)
	require.Equal(t, r.header.Get("X-Request-Id"), raw.RequestID)
	require.IsType(t, float64(0), raw.ImageInfos[0]["status"])
	require.IsType(t, float64(0), raw.ImageInfos[0]["image_size"])
	require.NotContains(t, raw.ImageInfos[0], "project_id")
	require.Equal(t, bProject, raw.ImageInfos[0]["src_project_id"])
}

// The rules of sharing: who may be a member, how many, and the member list's wire form.
func TestImageMembers(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	a := in.sdk()
	imageID := in.importImage(in.creds.ProjectID, "shared")
	add := func(member *string) error {
		_, err := a.AddImageMember(&model.AddImageMemberRequest{ImageId: imageID, Body: &model.AddImageMemberRequestBody{Member: member}})
		return err
	}
	requireImageCode(t, add(nil), "CPS.0046")
	requireImageCode(t, add(imgStr("not-a-project")), "CPS.0046")
	requireImageCode(t, add(&in.creds.ProjectID), "CPS.0046")
	requireImageCode(t, add(imgStr(strings.Repeat("0", 32))), "CPS.0243")
	_, err := a.AddImageMember(&model.AddImageMemberRequest{ImageId: strings.Repeat("0", 32), Body: &model.AddImageMemberRequestBody{Member: &in.creds.ProjectID}})
	requireImageCode(t, err, "CPS.0166")
	_, err = a.AddImageMember(&model.AddImageMemberRequest{ImageId: publicImage1620, Body: &model.AddImageMemberRequestBody{Member: &in.creds.ProjectID}})
	requireImageCode(t, err, "CPS.0001")

	var projects []string
	for i := range 11 {
		var p struct {
			Project struct{ ID string } `json:"project"`
		}
		in.admin(&p, "projects", "create", fmt.Sprintf("member-%02d", i))
		projects = append(projects, p.Project.ID)
	}
	for _, p := range projects[:10] {
		require.NoError(t, add(&p))
	}
	requireImageCode(t, add(&projects[10]), "CPS.0196")
	requireImageCode(t, add(&projects[3]), "CPS.0332")

	r := in.do("GET", "/v1/"+in.creds.ProjectID+"/cloud-phone/images/"+imageID+"/members", in.token(), nil)
	require.Equal(t, http.StatusOK, r.status)
	var raw struct {
		Members []map[string]any `json:"members"`
	}
	require.NoError(t, json.Unmarshal(r.body, &raw))
	require.Len(t, raw.Members, 10)
	require.Equal(t, projects[9], raw.Members[0]["member_id"], "newest first")
	require.IsType(t, float64(0), raw.Members[0]["create_time"])
	require.IsType(t, float64(0), raw.Members[0]["update_time"])

	_, err = a.DeleteImageMember(&model.DeleteImageMemberRequest{ImageId: imageID, MemberId: projects[0]})
	require.NoError(t, err)
	require.NoError(t, add(&projects[10]), "a freed place can be taken")
	_, err = a.DeleteImage(&model.DeleteImageRequest{ImageId: imageID})
	requireImageCode(t, err, "CPS.0255")
	for _, p := range append(projects[1:10], projects[10]) {
		_, err = a.DeleteImageMember(&model.DeleteImageMemberRequest{ImageId: imageID, MemberId: p})
		require.NoError(t, err)
	}
	_, err = a.DeleteImage(&model.DeleteImageRequest{ImageId: imageID})
	require.NoError(t, err, "neither used nor shared any more")
	r = in.do("DELETE", "/v1/"+in.creds.ProjectID+"/cloud-phone/images/"+imageID, in.token(), nil)
	require.Equal(t, "CPS.0166", r.json(t)["error_code"])
	_, err = a.DeleteImage(&model.DeleteImageRequest{ImageId: publicImage1620})
	requireImageCode(t, err, "CPS.0001")
}

// The admin import: an admin only, whatever a user's policy allows, and its checks.
func TestImportImageAdmin(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	var u struct{}
	in.admin(&u, "users", "create", "not-admin", "--project", in.creds.ProjectName, "--allow", "*",
		"--password", "not-admin-password")
	body := fmt.Sprintf(`{"project":%q,"image_name":"x","image_version":"AOSP 11","image_label":"cloud_phone"}`, in.creds.ProjectID)
	r := in.do("POST", "/admin/v1/images", in.imageUserToken("not-admin", "not-admin-password"), strings.NewReader(body))
	require.Equal(t, http.StatusForbidden, r.status, "%s", r.body)
	require.Equal(t, "CPS.0001", r.json(t)["error_code"])

	tok := in.token()
	cases := []struct{ rule, body, code string }{
		{"project known", `{"project":"nowhere","image_name":"x","image_version":"AOSP 11","image_label":"cloud_phone"}`, "CPS.0046"},
		{"name valid", `{"project":"` + in.creds.ProjectName + `","image_name":"a b","image_version":"AOSP 11","image_label":"cloud_phone"}`, "CPS.0162"},
		{"version required", `{"project":"` + in.creds.ProjectName + `","image_name":"x","image_label":"cloud_phone"}`, "CPS.0254"},
		{"label known", `{"project":"` + in.creds.ProjectName + `","image_name":"x","image_version":"AOSP 11","image_label":"phone"}`, "CPS.0142"},
		{"sim template exists", `{"project":"` + in.creds.ProjectName + `","image_name":"x","image_version":"AOSP 11","image_label":"cloud_phone","runtime_ref":{"sim":"/nonexistent/template"}}`, "CPS.0261"},
	}
	for _, tc := range cases {
		r := in.do("POST", "/admin/v1/images", tok, strings.NewReader(tc.body))
		require.Equal(t, http.StatusBadRequest, r.status, "%s: %s", tc.rule, r.body)
		require.Equal(t, tc.code, r.json(t)["error_code"], tc.rule)
	}
	require.Empty(t, listImages(t, in.sdk(), &model.ListImagesRequest{}))

	// By project name, with a docker reference the sim runtime does not check.
	r = in.do("POST", "/admin/v1/images", tok, strings.NewReader(`{"project":"`+in.creds.ProjectName+
		`","image_name":"redroid-12","image_version":"AOSP 12","image_label":"cloud_phone","runtime_ref":{"docker":"redroid/redroid:12.0.0-latest"}}`))
	require.Equal(t, http.StatusCreated, r.status, "%s", r.body)
	img := r.json(t)["image"].(map[string]any)
	require.Equal(t, "private", img["image_type"])
	require.Equal(t, in.creds.ProjectID, img["project_id"])
	require.Equal(t, map[string]any{"docker": "redroid/redroid:12.0.0-latest"}, img["runtime_ref"])
	list := listImages(t, in.sdk(), &model.ListImagesRequest{})
	require.Len(t, list, 1)
	require.Equal(t, "AOSP 12", *list[0].ImageVersion)
}

// imageUserToken gets a project-scoped token for a user of the admin's domain.
func (in *instance) imageUserToken(user, password string) string {
	in.t.Helper()
	body := fmt.Sprintf(`{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":%q,"password":%q,"domain":{"name":%q}}}},"scope":{"project":{"name":%q}}}}`,
		user, password, in.creds.DomainName, in.creds.ProjectName)
	resp, err := http.Post(in.endpoint+"/v3/auth/tokens", "application/json", strings.NewReader(body))
	require.NoError(in.t, err)
	defer resp.Body.Close()
	require.Equal(in.t, http.StatusCreated, resp.StatusCode)
	return resp.Header.Get("X-Subject-Token")
}
