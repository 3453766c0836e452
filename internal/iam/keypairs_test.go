package iam

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/region"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	kps "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kps/v3"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kps/v3/model"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/opencph/opencph/internal/cph"
	"github.com/opencph/opencph/internal/store"
)

// kpsClient is the official SDK's KPS client against the test server, with the project id left
// for the SDK to discover through GET /v3/projects?name=<region>.
func kpsClient(t *testing.T, e *env, ak, sk string) *kps.KpsClient {
	t.Helper()
	cred, err := basic.NewCredentialsBuilder().WithAk(ak).WithSk(sk).WithIamEndpointOverride(e.srv.URL).SafeBuild()
	require.NoError(t, err)
	hc, err := kps.KpsClientBuilder().
		WithRegion(region.NewRegion("cn-local-1", e.srv.URL)).
		WithCredential(cred).
		SafeBuild()
	require.NoError(t, err)
	return kps.NewKpsClient(hc)
}

func TestKeypairsThroughSDK(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c := kpsClient(t, e, e.creds.AccessKey, e.creds.SecretKey)

	// Generate: the private key comes back once and matches the stored public key.
	created, err := c.CreateKeypair(&model.CreateKeypairRequest{Body: &model.CreateKeypairRequestBody{
		Keypair: &model.CreateKeypairAction{Name: "gen-1"}}})
	require.NoError(t, err)
	kp := created.Keypair
	require.Equal(t, "gen-1", *kp.Name)
	require.NotNil(t, kp.PrivateKey)
	signer, err := ssh.ParsePrivateKey([]byte(*kp.PrivateKey))
	require.NoError(t, err)
	require.Equal(t, ssh.FingerprintSHA256(signer.PublicKey()), *kp.Fingerprint)
	require.True(t, strings.HasPrefix(*kp.PublicKey, "ssh-ed25519 "))
	require.Equal(t, mustUser(t, e, BootstrapUser).ID, *kp.UserId)

	// Import: no private key in the answer.
	pub := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl user@laptop"
	scope := model.GetCreateKeypairActionScopeEnum().DOMAIN
	imported, err := c.CreateKeypair(&model.CreateKeypairRequest{Body: &model.CreateKeypairRequestBody{
		Keypair: &model.CreateKeypairAction{Name: "imp-1", PublicKey: &pub, Scope: &scope}}})
	require.NoError(t, err)
	require.Nil(t, imported.Keypair.PrivateKey)
	require.Equal(t, pub, *imported.Keypair.PublicKey)

	list, err := c.ListKeypairs(&model.ListKeypairsRequest{})
	require.NoError(t, err)
	require.Len(t, *list.Keypairs, 2)
	require.Equal(t, "gen-1", *(*list.Keypairs)[0].Keypair.Name)
	require.Equal(t, int32(2), *list.PageInfo.CurrentCount)
	require.Nil(t, list.PageInfo.NextMarker)

	limit := "1"
	page, err := c.ListKeypairs(&model.ListKeypairsRequest{Limit: &limit})
	require.NoError(t, err)
	require.Len(t, *page.Keypairs, 1)
	require.Equal(t, "gen-1", *page.PageInfo.NextMarker)
	page, err = c.ListKeypairs(&model.ListKeypairsRequest{Limit: &limit, Marker: page.PageInfo.NextMarker})
	require.NoError(t, err)
	require.Equal(t, "imp-1", *(*page.Keypairs)[0].Keypair.Name)

	detail, err := c.ListKeypairDetail(&model.ListKeypairDetailRequest{KeypairName: "imp-1"})
	require.NoError(t, err)
	require.Equal(t, "domain", detail.Keypair.Scope.Value())
	require.Equal(t, "ssh-ed25519", *detail.Keypair.Algorithm)
	require.NotZero(t, *detail.Keypair.CreateTime)

	_, err = c.CreateKeypair(&model.CreateKeypairRequest{Body: &model.CreateKeypairRequestBody{
		Keypair: &model.CreateKeypairAction{Name: "imp-1", PublicKey: &pub}}})
	requireSDKError(t, err, http.StatusConflict, string(CodeConflict))

	bad := "ssh-rsa not-a-key"
	_, err = c.CreateKeypair(&model.CreateKeypairRequest{Body: &model.CreateKeypairRequestBody{
		Keypair: &model.CreateKeypairAction{Name: "bad", PublicKey: &bad}}})
	requireSDKError(t, err, http.StatusBadRequest, "APIGW.0201")

	_, err = c.DeleteKeypair(&model.DeleteKeypairRequest{KeypairName: "imp-1"})
	require.NoError(t, err)
	_, err = c.ListKeypairDetail(&model.ListKeypairDetailRequest{KeypairName: "imp-1"})
	requireSDKError(t, err, http.StatusNotFound, "CPS.0067")
	_, err = c.DeleteKeypair(&model.DeleteKeypairRequest{KeypairName: "imp-1"})
	requireSDKError(t, err, http.StatusNotFound, "CPS.0067")

	// The purchase API's lookup.
	k, err := e.svc.KeypairGet(context.Background(), e.creds.ProjectID, "gen-1")
	require.NoError(t, err)
	require.Equal(t, *kp.PublicKey, k.PublicKey)
	_, err = e.svc.KeypairGet(context.Background(), e.creds.ProjectID, "imp-1")
	require.ErrorIs(t, err, store.ErrNotFound)
	require.Equal(t, cph.CPS0067, cph.AsError(err).Code)
}

func TestKeypairPolicy(t *testing.T) {
	t.Parallel()
	e := setup(t)
	reader := e.addUser(t, "reader", []string{"cn-local-1"}, []string{"kps:SSHKeyPair:list", "kps:SSHKeyPair:get"}, nil)
	c := kpsClient(t, e, reader.ak, reader.sk)

	_, err := c.ListKeypairs(&model.ListKeypairsRequest{})
	require.NoError(t, err)
	_, err = c.CreateKeypair(&model.CreateKeypairRequest{Body: &model.CreateKeypairRequestBody{
		Keypair: &model.CreateKeypairAction{Name: "nope"}}})
	requireSDKError(t, err, http.StatusForbidden, "CPS.0001")
}

func TestKeypairGenerateRSA(t *testing.T) {
	t.Parallel()
	e := setup(t)
	status, body, _ := e.do(t, http.MethodPost, "/v3/"+e.creds.ProjectID+"/keypairs",
		map[string]any{"keypair": map[string]any{"name": "rsa-1", "algorithm": "rsa"}},
		withAKSK(t, e.creds.AccessKey, e.creds.SecretKey))
	require.Equal(t, http.StatusOK, status, body)
	kp := body["keypair"].(map[string]any)
	require.True(t, strings.HasPrefix(kp["public_key"].(string), "ssh-rsa "))
	signer, err := ssh.ParsePrivateKey([]byte(kp["private_key"].(string)))
	require.NoError(t, err)
	require.Equal(t, kp["fingerprint"], ssh.FingerprintSHA256(signer.PublicKey()))
}

func requireSDKError(t *testing.T, err error, status int, code string) {
	t.Helper()
	var se *sdkerr.ServiceResponseError
	require.True(t, errors.As(err, &se), "%v", err)
	require.Equal(t, status, se.StatusCode, se.ErrorMessage)
	require.Equal(t, code, se.ErrorCode, se.ErrorMessage)
	require.NotEmpty(t, se.RequestId)
}
