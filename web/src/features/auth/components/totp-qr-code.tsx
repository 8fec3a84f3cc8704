import { useEffect, useState } from 'react';

/**
 * The `otpauth://` set-up link as a QR code for an authenticator app to scan, drawn here in the
 * browser (the secret never goes to a QR service). An SVG in a data: URL: the CSP allows data:
 * images (img-src 'self' data:) and no inline style is involved. The encoder loads only on this
 * step, so it costs nothing to anyone else.
 */
export function TotpQrCode({ uri }: { uri: string }) {
  const [src, setSrc] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    let current = true;
    setSrc(null);
    setFailed(false);
    import('qrcode')
      .then(({ toString }) => toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }))
      .then((svg) => {
        if (current) setSrc(`data:image/svg+xml;base64,${btoa(svg)}`);
      })
      .catch(() => {
        if (current) setFailed(true);
      });
    return () => {
      current = false;
    };
  }, [uri]);

  if (failed) {
    return <p className="hint">The QR code could not be drawn: type the setup key below instead.</p>;
  }
  return (
    <div className="totp-qr" aria-busy={src === null}>
      {src && (
        <img
          src={src}
          width={176}
          height={176}
          alt="QR code to scan with your authenticator app"
          data-testid="totp-qr"
        />
      )}
    </div>
  );
}
