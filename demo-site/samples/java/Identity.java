// Identity token for the chat widget: the reference sample (Java 8+, javax.crypto only).
//
// Run it on YOUR SERVER only: the site key must never reach a browser.
//
//   javac Identity.java
//   java Identity KEY_B64 '{"full_name":"张三","phone":"15912345678"}'
//   java Identity --v2 --site SITE_ID [--ttl 600] KEY_B64 '{"full_name":"张三","phone":"15912345678"}'
//
// The first form prints a compat token (AES/ECB/PKCS5Padding, uppercase hex); the second a v2
// token ("v2." + base64url(nonce || AES-256-GCM ciphertext || tag)), which needs a 32-byte key.
// Use a UTF-8 locale (e.g. LC_ALL=C.UTF-8) so that Java reads non-ASCII arguments correctly.

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

public final class Identity {

    /** Compat format: AES/ECB/PKCS5Padding with the 16, 24 or 32-byte site key, as uppercase hex. */
    public static String encryptEcb(String keyB64, String payloadJson) throws Exception {
        byte[] key = Base64.getDecoder().decode(keyB64.trim());
        Cipher cipher = Cipher.getInstance("AES/ECB/PKCS5Padding");
        cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
        byte[] encrypted = cipher.doFinal(payloadJson.getBytes(StandardCharsets.UTF_8));
        StringBuilder hex = new StringBuilder(encrypted.length * 2);
        for (byte b : encrypted) {
            hex.append(String.format("%02X", b));
        }
        return hex.toString();
    }

    /** v2 format: "v2." + base64url without padding of (12-byte nonce || ciphertext || 16-byte tag). */
    public static String encryptV2(String keyB64, String payloadJson) throws Exception {
        byte[] key = Base64.getDecoder().decode(keyB64.trim());
        if (key.length != 32) {
            throw new IllegalArgumentException("v2 needs a 32-byte site key, this one has " + key.length + " bytes");
        }
        byte[] nonce = new byte[12];
        new SecureRandom().nextBytes(nonce); // a fresh random nonce for every token, never reused
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
        byte[] sealed = cipher.doFinal(payloadJson.getBytes(StandardCharsets.UTF_8)); // ciphertext || tag
        byte[] token = new byte[nonce.length + sealed.length];
        System.arraycopy(nonce, 0, token, 0, nonce.length);
        System.arraycopy(sealed, 0, token, nonce.length, sealed.length);
        return "v2." + Base64.getUrlEncoder().withoutPadding().encodeToString(token);
    }

    /**
     * Adds "aud" (your site id) and "exp" (unix seconds, now + ttl) to a JSON object unless it has
     * them: v2 payloads must carry both. In your own code, put them in with your JSON library.
     */
    static String withClaims(String json, String site, long ttlSeconds) {
        String body = json.trim();
        if (!body.startsWith("{")) {
            throw new IllegalArgumentException("the payload must be a JSON object");
        }
        String claims = "";
        if (!body.matches("(?s).*\"aud\"\\s*:.*")) {
            if (site == null || !site.matches("[a-z0-9_-]{1,64}")) {
                throw new IllegalArgumentException("v2 needs --site SITE_ID (a-z, 0-9, - and _)");
            }
            claims += "\"aud\":\"" + site + "\",";
        }
        if (!body.matches("(?s).*\"exp\"\\s*:.*")) {
            claims += "\"exp\":" + (System.currentTimeMillis() / 1000 + ttlSeconds) + ",";
        }
        if (body.substring(1).trim().startsWith("}") && !claims.isEmpty()) {
            claims = claims.substring(0, claims.length() - 1); // empty object: no trailing comma
        }
        return "{" + claims + body.substring(1);
    }

    public static void main(String[] args) throws Exception {
        boolean v2 = false;
        String site = null;
        long ttl = 600;
        int i = 0;
        for (; i < args.length && args[i].startsWith("--"); i++) {
            if (args[i].equals("--v2")) {
                v2 = true;
            } else if (args[i].equals("--site") && i + 1 < args.length) {
                site = args[++i];
            } else if (args[i].equals("--ttl") && i + 1 < args.length) {
                ttl = Long.parseLong(args[++i]);
            } else {
                break;
            }
        }
        if (args.length - i != 2) {
            System.err.println("usage: java Identity [--v2 --site SITE_ID [--ttl SECONDS]] KEY_B64 PAYLOAD_JSON");
            System.exit(2);
        }
        String keyB64 = args[i];
        String payload = args[i + 1];
        try {
            System.out.println(v2 ? encryptV2(keyB64, withClaims(payload, site, ttl)) : encryptEcb(keyB64, payload));
        } catch (IllegalArgumentException | java.security.GeneralSecurityException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(1);
        }
    }
}
