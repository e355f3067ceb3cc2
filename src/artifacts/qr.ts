/** QR codes as a module matrix, drawn by the PDF certificate and as inline SVG on pages. */
import QRCode from 'qrcode';

export interface QrMatrix {
  readonly size: number;
  isDark(row: number, col: number): boolean;
}

export function qrMatrix(text: string): QrMatrix {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  return { size: modules.size, isDark: (row, col) => Boolean(modules.get(row, col)) };
}

/** An inline SVG QR code (one path, a 4-module quiet zone), sized by CSS. */
export function qrSvg(text: string, label: string): string {
  const qr = qrMatrix(text);
  const quiet = 4;
  const side = qr.size + quiet * 2;
  let path = '';
  for (let row = 0; row < qr.size; row++) {
    for (let col = 0; col < qr.size; col++) if (qr.isDark(row, col)) path += `M${col + quiet} ${row + quiet}h1v1h-1z`;
  }
  const safeLabel = label.replace(/[<>&"]/g, '');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${side} ${side}" role="img" aria-label="${safeLabel}" shape-rendering="crispEdges"><rect width="${side}" height="${side}" fill="#fff"/><path d="${path}" fill="#000"/></svg>`;
}
