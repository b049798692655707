// Ends with an uncaught custom exception thrown three frames below main.
// stdout gets the progress lines (and the finally blocks run while unwinding);
// stderr gets HotSpot's stack trace and the exit status is 1.
public class Main {
    static int opened;

    public static void main(String[] args) throws ResourceException {
        System.out.println("starting");
        int total = 0;
        for (int i = 0; i < 3; i++) {
            total += open("file" + i, i);
        }
        System.out.println("opened " + opened + " total " + total);
        try {
            openAll(5);
        } finally {
            System.out.println("main finally, opened " + opened);
        }
        System.out.println("not reached");
    }

    static void openAll(int n) throws ResourceException {
        System.out.println("openAll " + n);
        try {
            for (int i = 0; i < n; i++) {
                open("data" + i, i * 10);
            }
        } finally {
            System.out.println("openAll finally");
        }
    }

    static int open(String name, int size) throws ResourceException {
        System.out.println("open " + name);
        return check(name, size);
    }

    static int check(String name, int size) throws ResourceException {
        if (size > 25) {
            throw new ResourceException("resource " + name + " too large: " + size);
        }
        opened++;
        return size;
    }
}
