package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	cphv1 "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1/model"
	"github.com/stretchr/testify/require"
)

// Shared bandwidths can be resized by the step rules of 5.2.2; dedicated ones cannot.
func TestBandwidthUpdate(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	c := in.sdk()
	shared := "3f1a5b2c-1d4e-4f60-8a9b-0c1d2e3f4a5b"
	body := purchaseBody("shared-bw", 1)
	body.BandWidth = &model.CreateNet2CloudPhoneServerRequestBodyBandWidth{BandWidthShareType: 1, BandWidthId: &shared, BandWidthChargeMode: 0}
	_, err := c.CreateNet2CloudPhoneServer(&model.CreateNet2CloudPhoneServerRequest{Body: body})
	require.NoError(t, err)
	dedicated, _ := buy(t, c, "dedicated-bw", 1)

	for _, tt := range []struct {
		size int32
		code string
	}{{350, ""}, {301, "CPS.0036"}, {1500, ""}, {1200, "CPS.0036"}, {299, ""}, {0, "CPS.0036"}} {
		_, err := c.UpdateBandwidth(&model.UpdateBandwidthRequest{BandWidthId: shared, Body: &model.UpdateBandwidthRequestBody{BandWidthSize: tt.size}})
		if tt.code == "" {
			require.NoError(t, err, "size %d", tt.size)
		} else {
			require.ErrorContains(t, err, tt.code, "size %d", tt.size)
		}
	}
	bws, err := c.ShowBandwidthDetail(&model.ShowBandwidthDetailRequest{})
	require.NoError(t, err)
	sizes := map[string]int32{}
	for _, b := range *bws.BandWidths {
		sizes[*b.BandWidthId] = *b.BandWidthSize
	}
	require.Equal(t, int32(299), sizes[shared])

	d, err := c.ShowCloudPhoneServerDetail(&model.ShowCloudPhoneServerDetailRequest{ServerId: (*dedicated.ServerIds)[0]})
	require.NoError(t, err)
	_, err = c.UpdateBandwidth(&model.UpdateBandwidthRequest{BandWidthId: *(*d.BandWidths)[0].BandWidthId, Body: &model.UpdateBandwidthRequestBody{BandWidthSize: 100}})
	require.ErrorContains(t, err, "CPS.0160")
	_, err = c.UpdateBandwidth(&model.UpdateBandwidthRequest{BandWidthId: strings.Repeat("f", 32), Body: &model.UpdateBandwidthRequestBody{BandWidthSize: 100}})
	require.ErrorContains(t, err, "CPS.0115")
}

// The per-project server quota refuses a purchase that would exceed it, and creates nothing.
func TestServerQuota(t *testing.T) {
	t.Parallel()
	in := start(t, "", "--server-quota", "2")
	c := in.sdk()
	buy(t, c, "q", 1)
	_, err := c.CreateNet2CloudPhoneServer(&model.CreateNet2CloudPhoneServerRequest{Body: purchaseBody("q", 2)})
	require.ErrorContains(t, err, "CPS.0065")
	list, err := c.ListCloudPhoneServers(&model.ListCloudPhoneServersRequest{})
	require.NoError(t, err)
	require.Equal(t, int32(1), *list.Count)
}

// With --tls-cert and --tls-key the API is served over HTTPS, and the SDK works against it.
func TestTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile := selfSigned(t, dir)
	in := start(t, filepath.Join(dir, "data"), "--tls-cert", certFile, "--tls-key", keyFile)
	require.True(t, strings.HasPrefix(in.endpoint, "https://"), in.endpoint)

	cred, err := basic.NewCredentialsBuilder().WithAk(in.creds.AccessKey).WithSk(in.creds.SecretKey).
		WithProjectId(in.creds.ProjectID).SafeBuild()
	require.NoError(t, err)
	hc, err := cphv1.CphClientBuilder().WithEndpoints([]string{in.endpoint}).WithCredential(cred).
		WithHttpConfig(config.DefaultHttpConfig().WithIgnoreSSLVerification(true)).SafeBuild()
	require.NoError(t, err)
	list, err := cphv1.NewCphClient(hc).ListCloudPhoneServers(&model.ListCloudPhoneServersRequest{})
	require.NoError(t, err)
	require.Equal(t, int32(0), *list.Count)

	plain := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := plain.Get(in.endpoint + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
}

func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600))
	return certFile, keyFile
}
