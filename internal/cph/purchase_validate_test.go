package cph

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/api"
)

// example514 is the request example of 5.1.4, verbatim: its models and image are in the
// default catalogue, so it must pass as it stands.
const example514 = `{
  "server_name": "cph-kertus-1110",
  "server_model_name": "physical.kg1.4xlarge.cp",
  "phone_model_name": "kg1.cp.c20.d64SSD.e1v1",
  "image_id": "20060220200717f201120a2300000e91",
  "count": 1,
  "keypair_name": "keypair",
  "ports": [ {
    "name": "myServer1",
    "listen_port": 20000,
    "internet_accessible": "false"
  }, {
    "name": "myServer2",
    "listen_port": 20001,
    "internet_accessible": "true"
  } ],
  "extend_param": {
    "charging_mode": 0,
    "period_type": 2,
    "period_num": 1,
    "is_auto_pay": 0
  },
  "tenant_vpc_id": "fca063f6-b942-42a8-9004-e5545f58d6a2",
  "nics": [ {
    "subnet_id": "f1cbfc37-eb42-4357-a0ec-9e4f11950908"
  } ],
  "public_ip": {
    "eip": {
      "type": "5_bgp"
    }
  },
  "band_width": {
    "band_width_share_type": 0,
    "band_width_size": 300,
    "band_width_charge_mode": 1
  }
}`

const (
	testUUID  = "0b1e6a52-4c1f-4a57-9a3e-2f0c8d1b7e64"
	testAZ    = "cn-east-3a"
	model20   = "rc2.se" // a 2.0 phone model of physical.rx2.32xlarge.4
	server20  = "physical.rx2.32xlarge.4"
	image1620 = "20060220200717f201120a2300000e91"
	retired   = "rc1.plus" // retired in purchaseCatalog
)

var testAZs = []string{testAZ, "cn-east-3b"}

func ptr[T any](v T) *T { return &v }

// purchaseCatalog is the default catalogue with one phone model retired, for the status rule.
func purchaseCatalog(t *testing.T) *Catalog {
	t.Helper()
	cat := DefaultCatalog()
	for i := range cat.PhoneModels {
		if cat.PhoneModels[i].PhoneModelName == retired {
			cat.PhoneModels[i].Status = 0
		}
	}
	return cat
}

// baseline decodes 5.1.4's example, so every row starts from what a real client sends.
func baseline(t *testing.T) *api.CreateServersRequest {
	t.Helper()
	var req api.CreateServersRequest
	require.NoError(t, json.Unmarshal([]byte(example514), &req))
	return &req
}

func TestValidatePurchaseBaseline(t *testing.T) {
	t.Parallel()
	require.NoError(t, ValidatePurchase(baseline(t), purchaseCatalog(t), testAZs, nil))
}

func TestValidatePurchaseRules(t *testing.T) {
	t.Parallel()
	type mut = func(r *api.CreateServersRequest)
	cases := []struct {
		rule string
		mut  mut
		code Code // "" means the request is valid
	}{
		{"server_name required", func(r *api.CreateServersRequest) { r.ServerName = "" }, CPS0087},
		{"server_name at most 60 characters", func(r *api.CreateServersRequest) { r.ServerName = strings.Repeat("a", 61) }, CPS0087},
		{"server_name 60 CJK characters allowed", func(r *api.CreateServersRequest) { r.ServerName = strings.Repeat("云", 60) }, ""},
		{"server_name only letters digits CJK _ -", func(r *api.CreateServersRequest) { r.ServerName = "cph.server" }, CPS0087},
		{"server_name no spaces", func(r *api.CreateServersRequest) { r.ServerName = "cph server" }, CPS0087},
		{"server_model_name required", func(r *api.CreateServersRequest) { r.ServerModelName = "" }, CPS0088},
		{"server_model_name known", func(r *api.CreateServersRequest) { r.ServerModelName = "physical.nope" }, CPS0089},
		{"phone_model_name required", func(r *api.CreateServersRequest) { r.PhoneModelName = "" }, CPS0027},
		{"phone_model_name known", func(r *api.CreateServersRequest) { r.PhoneModelName = "kg1.nope" }, CPS0028},
		{"phone_model_name of the server model", func(r *api.CreateServersRequest) { r.PhoneModelName = "rx1.cp.c60.d10.e1v1" }, CPS0028},
		{"phone_model_name on sale", func(r *api.CreateServersRequest) {
			r.ServerModelName, r.PhoneModelName, r.ImageID = "physical.rx1.xlarge", retired, "20032120200330a20b000eae5b8c01e6"
		}, CPS0257},
		{"image_id required", func(r *api.CreateServersRequest) { r.ImageID = "" }, CPS0029},
		{"image_id known", func(r *api.CreateServersRequest) { r.ImageID = strings.Repeat("f", 32) }, CPS0030},
		{"image label matches phone model", func(r *api.CreateServersRequest) { r.ImageID = "20032120200330a20b000eae5b8c01e6" }, CPS0222},
		{"count required", func(r *api.CreateServersRequest) { r.Count = nil }, CPS0024},
		{"count at least 1", func(r *api.CreateServersRequest) { r.Count = ptr(0) }, CPS0024},
		{"count at most 10", func(r *api.CreateServersRequest) { r.Count = ptr(11) }, CPS0024},
		{"count 10 allowed", func(r *api.CreateServersRequest) { r.Count = ptr(10) }, ""},
		{"keypair_name at most 64 bytes", func(r *api.CreateServersRequest) { r.KeypairName = ptr(strings.Repeat("k", 65)) }, CPS0067},
		{"keypair_name optional", func(r *api.CreateServersRequest) { r.KeypairName = nil }, ""},
		{"ports at most MaxPorts", func(r *api.CreateServersRequest) {
			r.Ports = nil
			for i := range MaxPorts + 1 {
				r.Ports = append(r.Ports, api.Port{Name: "p" + string(rune('a'+i)), ListenPort: 20000 + i, InternetAccessible: "true"})
			}
		}, CPS0145},
		{"ports optional", func(r *api.CreateServersRequest) { r.Ports = nil }, ""},
		{"port name required", func(r *api.CreateServersRequest) { r.Ports[0].Name = "" }, CPS0038},
		{"port name at most 16 bytes", func(r *api.CreateServersRequest) { r.Ports[0].Name = strings.Repeat("p", 17) }, CPS0038},
		{"port name not adb", func(r *api.CreateServersRequest) { r.Ports[0].Name = "adb" }, CPS0038},
		{"port name not vnc in any case", func(r *api.CreateServersRequest) { r.Ports[1].Name = "VnC" }, CPS0038},
		{"port names unique", func(r *api.CreateServersRequest) { r.Ports[1].Name = r.Ports[0].Name }, CPS0039},
		{"listen_port at least 10000", func(r *api.CreateServersRequest) { r.Ports[0].ListenPort = 9999 }, CPS0040},
		{"listen_port at most 50000", func(r *api.CreateServersRequest) { r.Ports[0].ListenPort = 50001 }, CPS0040},
		{"listen_ports unique", func(r *api.CreateServersRequest) { r.Ports[1].ListenPort = r.Ports[0].ListenPort }, CPS0041},
		{"internet_accessible required", func(r *api.CreateServersRequest) { r.Ports[1].InternetAccessible = "" }, CPS0093},
		{"extend_param required", func(r *api.CreateServersRequest) { r.ExtendParam = nil }, CPS0055},
		{"charging_mode required", func(r *api.CreateServersRequest) { r.ExtendParam.ChargingMode = nil }, CPS0056},
		{"charging_mode is 0", func(r *api.CreateServersRequest) { r.ExtendParam.ChargingMode = ptr(1) }, CPS0056},
		{"period_type required", func(r *api.CreateServersRequest) { r.ExtendParam.PeriodType = nil }, CPS0057},
		{"period_type month or year", func(r *api.CreateServersRequest) { r.ExtendParam.PeriodType = ptr(1) }, CPS0057},
		{"period_num required", func(r *api.CreateServersRequest) { r.ExtendParam.PeriodNum = nil }, CPS0058},
		{"period_num at least 1", func(r *api.CreateServersRequest) { r.ExtendParam.PeriodNum = ptr(0) }, CPS0058},
		{"period_num at most 9 months", func(r *api.CreateServersRequest) { r.ExtendParam.PeriodNum = ptr(10) }, CPS0058},
		{"period_num at most 10 years", func(r *api.CreateServersRequest) {
			r.ExtendParam.PeriodType, r.ExtendParam.PeriodNum = ptr(3), ptr(11)
		}, CPS0058},
		{"period_num 10 years allowed", func(r *api.CreateServersRequest) {
			r.ExtendParam.PeriodType, r.ExtendParam.PeriodNum = ptr(3), ptr(10)
		}, ""},
		{"is_auto_pay 0 or 1", func(r *api.CreateServersRequest) { r.ExtendParam.IsAutoPay = ptr(2) }, CPS0060},
		{"is_auto_renew 0 or 1", func(r *api.CreateServersRequest) { r.ExtendParam.IsAutoRenew = ptr(-1) }, CPS0059},
		{"enterprise_project_id 0 or UUID", func(r *api.CreateServersRequest) { r.ExtendParam.EnterpriseProjectID = "default" }, CPS0316},
		{"enterprise_project_id 0 allowed", func(r *api.CreateServersRequest) { r.ExtendParam.EnterpriseProjectID = "0" }, ""},
		{"enterprise_project_id UUID allowed", func(r *api.CreateServersRequest) { r.ExtendParam.EnterpriseProjectID = testUUID }, ""},
		{"tenant_vpc_id required", func(r *api.CreateServersRequest) { r.TenantVpcID = "" }, CPS0223},
		{"tenant_vpc_id UUID", func(r *api.CreateServersRequest) { r.TenantVpcID = "vpc-1" }, CPS0223},
		{"nics required", func(r *api.CreateServersRequest) { r.Nics = nil }, CPS0226},
		{"nics not empty", func(r *api.CreateServersRequest) { r.Nics = []api.Nic{} }, CPS0226},
		{"subnet_id UUID", func(r *api.CreateServersRequest) { r.Nics[0].SubnetID = strings.Repeat("a", 32) }, CPS0224},
		{"ipv6_bandwidth needs ipv6_enable", func(r *api.CreateServersRequest) {
			r.Nics[0].Ipv6Bandwidth = &api.Ipv6Bandwidth{BandWidthID: testUUID}
		}, CPS0320},
		{"ipv6_bandwidth band_width_id valid", func(r *api.CreateServersRequest) {
			r.Nics[0].Ipv6Enable, r.Nics[0].Ipv6Bandwidth = ptr(true), &api.Ipv6Bandwidth{BandWidthID: "bw"}
		}, CPS0318},
		{"ipv6_bandwidth allowed", func(r *api.CreateServersRequest) {
			r.Nics[0].Ipv6Enable, r.Nics[0].Ipv6Bandwidth = ptr(true), &api.Ipv6Bandwidth{BandWidthID: testUUID}
		}, ""},
		{"public_ip required", func(r *api.CreateServersRequest) { r.PublicIP = nil }, CPS0238},
		{"public_ip ids at most one", func(r *api.CreateServersRequest) {
			r.PublicIP = &api.PublicIP{IDs: []string{testUUID, testUUID}}
		}, CPS0253},
		{"public_ip ids UUIDs", func(r *api.CreateServersRequest) { r.PublicIP = &api.PublicIP{IDs: []string{"eip-1"}} }, CPS0253},
		{"public_ip ids only for one server", func(r *api.CreateServersRequest) {
			r.Count, r.PublicIP = ptr(2), &api.PublicIP{IDs: []string{testUUID}}
		}, CPS0251},
		{"public_ip ids allowed", func(r *api.CreateServersRequest) { r.PublicIP = &api.PublicIP{IDs: []string{testUUID}} }, ""},
		{"public_ip count not negative", func(r *api.CreateServersRequest) { r.PublicIP.Count = ptr(-1) }, CPS0238},
		{"public_ip count at most phone IPs", func(r *api.CreateServersRequest) { r.PublicIP.Count = ptr(2) }, CPS0238},
		{"public_ip count up to phone IPs", func(r *api.CreateServersRequest) {
			r.PhoneCountPerIP, r.PublicIP.Count = ptr(10), ptr(2) // 20 phones, 10 per IP
		}, ""},
		{"public_ip ids only for one EIP", func(r *api.CreateServersRequest) {
			r.PhoneCountPerIP, r.PublicIP = ptr(10), &api.PublicIP{IDs: []string{testUUID}, Count: ptr(2)}
		}, CPS0252},
		{"public_ip eip or ids", func(r *api.CreateServersRequest) { r.PublicIP = &api.PublicIP{} }, CPS0238},
		{"public_ip not both eip and ids", func(r *api.CreateServersRequest) { r.PublicIP.IDs = []string{testUUID} }, CPS0238},
		{"public_ip count 0 needs neither", func(r *api.CreateServersRequest) { r.PublicIP = &api.PublicIP{Count: ptr(0)} }, ""},
		{"eip type known", func(r *api.CreateServersRequest) { r.PublicIP.EIP.Type = "5_cmcc" }, CPS0239},
		{"phone_count_per_ip at least 1", func(r *api.CreateServersRequest) { r.PhoneCountPerIP = ptr(0) }, CPS0226},
		{"phone_count_per_ip at most phone_capacity", func(r *api.CreateServersRequest) { r.PhoneCountPerIP = ptr(21) }, CPS0226},
		{"phone_data_volume required for 2.0 models", func(r *api.CreateServersRequest) {
			r.ServerModelName, r.PhoneModelName = server20, model20
		}, CPS0347},
		{"phone_data_volume allowed for 2.0 models", func(r *api.CreateServersRequest) {
			r.ServerModelName, r.PhoneModelName = server20, model20
			r.PhoneDataVolume = &api.PhoneDataVolume{VolumeType: "GPSSD", Size: 32768}
		}, ""},
		{"phone_data_volume volume_type SSD or GPSSD", func(r *api.CreateServersRequest) {
			r.PhoneDataVolume = &api.PhoneDataVolume{VolumeType: "SAS", Size: 64}
		}, CPS0347},
		{"phone_data_volume size at least 10", func(r *api.CreateServersRequest) {
			r.PhoneDataVolume = &api.PhoneDataVolume{VolumeType: "SSD", Size: 9}
		}, CPS0347},
		{"phone_data_volume size at most 32768", func(r *api.CreateServersRequest) {
			r.PhoneDataVolume = &api.PhoneDataVolume{VolumeType: "SSD", Size: 32769}
		}, CPS0347},
		{"server_share_data_volume volume_type SSD or GPSSD", func(r *api.CreateServersRequest) {
			r.ServerShareDataVolume = &api.ServerShareDataVolume{VolumeType: "ssd", Size: 64}
		}, CPS0347},
		{"server_share_data_volume size in range", func(r *api.CreateServersRequest) {
			r.ServerShareDataVolume = &api.ServerShareDataVolume{VolumeType: "SSD", Size: 5}
		}, CPS0347},
		{"band_width required", func(r *api.CreateServersRequest) { r.BandWidth = nil }, CPS0031},
		{"band_width_share_type required", func(r *api.CreateServersRequest) { r.BandWidth.BandWidthShareType = nil }, CPS0034},
		{"band_width_share_type 0 or 1", func(r *api.CreateServersRequest) { r.BandWidth.BandWidthShareType = ptr(2) }, CPS0034},
		{"band_width_charge_mode required", func(r *api.CreateServersRequest) { r.BandWidth.BandWidthChargeMode = nil }, CPS0035},
		{"band_width_charge_mode 0 or 1", func(r *api.CreateServersRequest) { r.BandWidth.BandWidthChargeMode = ptr(2) }, CPS0035},
		{"dedicated band_width_size required", func(r *api.CreateServersRequest) { r.BandWidth.BandWidthSize = nil }, CPS0036},
		{"dedicated band_width_size step rule", func(r *api.CreateServersRequest) { r.BandWidth.BandWidthSize = ptr(301) }, CPS0036},
		{"dedicated band_width_size at most 2000", func(r *api.CreateServersRequest) { r.BandWidth.BandWidthSize = ptr(2500) }, CPS0036},
		{"shared band_width_id required", func(r *api.CreateServersRequest) {
			r.BandWidth = &api.BandWidth{BandWidthShareType: ptr(1), BandWidthChargeMode: ptr(0)}
		}, CPS0032},
		{"shared band_width_id UUID or hex id", func(r *api.CreateServersRequest) {
			r.BandWidth = &api.BandWidth{BandWidthShareType: ptr(1), BandWidthChargeMode: ptr(0), BandWidthID: "bw-1"}
		}, CPS0033},
		{"shared band_width_id UUID allowed", func(r *api.CreateServersRequest) {
			r.BandWidth = &api.BandWidth{BandWidthShareType: ptr(1), BandWidthChargeMode: ptr(0), BandWidthID: testUUID}
		}, ""},
		{"shared band_width_id hex id allowed", func(r *api.CreateServersRequest) {
			r.BandWidth = &api.BandWidth{BandWidthShareType: ptr(1), BandWidthChargeMode: ptr(0), BandWidthID: "1564567b8bab40f34711234cb80d8574"}
		}, ""},
		{"availability_zone known", func(r *api.CreateServersRequest) { r.AvailabilityZone = "cn-north-4a" }, CPS0211},
		{"availability_zone allowed", func(r *api.CreateServersRequest) { r.AvailabilityZone = testAZ }, ""},
		{"first rule in field order wins", func(r *api.CreateServersRequest) {
			r.BandWidth, r.Nics, r.ServerName = nil, nil, "bad name"
		}, CPS0087},
	}
	for _, tc := range cases {
		t.Run(tc.rule, func(t *testing.T) {
			t.Parallel()
			req := baseline(t)
			tc.mut(req)
			err := ValidatePurchase(req, purchaseCatalog(t), testAZs, nil)
			if tc.code == "" {
				require.NoError(t, err)
				return
			}
			var ce *Error
			require.ErrorAs(t, err, &ce)
			require.Equal(t, tc.code, ce.Code, ce.Msg)
			require.Equal(t, 400, ce.HTTPStatus())
		})
	}
}

// TestValidatePurchaseEveryCombination buys every server model with each of its phone models on
// sale and each image of that phone model's label: whatever the catalogue offers can be bought.
func TestValidatePurchaseEveryCombination(t *testing.T) {
	t.Parallel()
	cat := DefaultCatalog()
	n := 0
	for _, sm := range cat.ServerModels {
		for _, pm := range cat.PhoneModelsOf(sm.ServerModelName) {
			for _, im := range cat.ImagesFor(pm.ImageLabel) {
				req := baseline(t)
				req.ServerModelName, req.PhoneModelName, req.ImageID = sm.ServerModelName, pm.PhoneModelName, im.ImageID
				if pm.PhoneModelVersion == 1 {
					req.PhoneDataVolume = &api.PhoneDataVolume{VolumeType: "SSD", Size: 64}
					req.ServerShareDataVolume = &api.ServerShareDataVolume{VolumeType: "SSD", Size: 512}
				}
				require.NoError(t, ValidatePurchase(req, cat, testAZs, nil), "%s / %s / %s", sm.ServerModelName, pm.PhoneModelName, im.ImageID)
				n++
			}
		}
	}
	require.GreaterOrEqual(t, n, len(cat.PhoneModels))
}

// TestValidatePurchaseImageLookup checks that image_id goes through the caller's resolver (the
// service's, which knows private and shared images) and keeps its rules' order and codes.
func TestValidatePurchaseImageLookup(t *testing.T) {
	t.Parallel()
	const private, pending = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"
	lookup := func(id string) (Image, error) {
		switch id {
		case private:
			return Image{PhoneImage: api.PhoneImage{ImageID: id, IsPublic: 2, ImageLabel: LabelCloudPhone1620}}, nil
		case pending:
			return Image{}, CPS0220.Err()
		}
		return Image{}, CPS0030.Err()
	}
	cases := []struct {
		rule  string
		image string
		code  Code
	}{
		{"image the resolver knows", private, ""},
		{"catalogue image the resolver does not know", image1620, CPS0030},
		{"image_id required before lookup", "", CPS0029},
		{"resolver's refusal passed on", pending, CPS0220},
	}
	for _, tc := range cases {
		t.Run(tc.rule, func(t *testing.T) {
			t.Parallel()
			req := baseline(t)
			req.ImageID = tc.image
			err := ValidatePurchase(req, purchaseCatalog(t), testAZs, lookup)
			if tc.code == "" {
				require.NoError(t, err)
				return
			}
			var ce *Error
			require.ErrorAs(t, err, &ce)
			require.Equal(t, tc.code, ce.Code, ce.Msg)
		})
	}
	t.Run("label of a resolved image must match", func(t *testing.T) {
		t.Parallel()
		req := baseline(t)
		req.ImageID = private
		req.ServerModelName, req.PhoneModelName = "physical.rx1.xlarge", "rx1.cp.c60.d10.e1v1"
		var ce *Error
		require.ErrorAs(t, ValidatePurchase(req, purchaseCatalog(t), testAZs, lookup), &ce)
		require.Equal(t, CPS0222, ce.Code)
	})
}

func TestValidatePurchaseNilRequest(t *testing.T) {
	t.Parallel()
	var ce *Error
	require.ErrorAs(t, ValidatePurchase(nil, DefaultCatalog(), testAZs, nil), &ce)
	require.Equal(t, CPS0087, ce.Code)
}

// TestCreateServersRequestNull checks that JSON null, which the SDK sends for objects it was not
// given, reads as absent, while an explicit zero stays a zero.
func TestCreateServersRequestNull(t *testing.T) {
	t.Parallel()
	var req api.CreateServersRequest
	require.NoError(t, json.Unmarshal([]byte(`{"count":0,"extend_param":null,"public_ip":null,"band_width":null,"nics":null,"phone_count_per_ip":null}`), &req))
	require.NotNil(t, req.Count)
	require.Zero(t, *req.Count)
	require.Nil(t, req.ExtendParam)
	require.Nil(t, req.PublicIP)
	require.Nil(t, req.BandWidth)
	require.Nil(t, req.Nics)
	require.Nil(t, req.PhoneCountPerIP)
}

func TestValidBandwidthSize(t *testing.T) {
	t.Parallel()
	for size, want := range map[int]bool{
		-1: false, 0: false, 1: true, 150: true, 299: true, 300: true, 301: false, 325: false,
		350: true, 999: false, 1000: true, 1050: false, 1500: true, 2000: true, 2500: false,
	} {
		require.Equal(t, want, ValidBandwidthSize(size), "size %d", size)
	}
}

func TestValidName(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"":                      false,
		"a":                     true,
		"cph-server_01":         true,
		"云手机服务器1":               true,
		strings.Repeat("x", 60): true,
		strings.Repeat("x", 61): false,
		strings.Repeat("机", 60): true,
		strings.Repeat("机", 61): false,
		"has space":             false,
		"dot.name":              false,
		"emoji😀":                false,
		"ｆｕｌｌｗｉｄｔｈ":             false,
		"é":                     false,
	} {
		require.Equal(t, want, ValidName(name), "name %q", name)
		require.Equal(t, want, ValidServerName(name), "server name %q", name)
		require.Equal(t, want, ValidPhoneName(name), "phone name %q", name)
	}
}
